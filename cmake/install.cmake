# What `cmake --install` installs (GNUInstallDirs layout under the prefix):
#
#   bin/                        vmm, vmmctl, linux-runner, scengen
#   libexec/vmm-mm/             linux-runner-child (found by linux-runner)
#   share/vmm-mm/guest.elf      the guest kernel vmm boots when none is named
#   include/vmm-mm/vmm.h        the public C API
#   lib/libvmm-mm.so*           its library
#   lib/pkgconfig/vmm-mm.pc     pkg-config --cflags --libs vmm-mm
#   lib/cmake/vmm-mm/           find_package(vmm-mm): target vmm-mm::vmm-mm
#   share/man/man1, man5        vmm(1), vmmctl(1), linux-runner(1),
#                               scengen(1), vmm-scenario(5)
#   share/bash-completion/completions/   one file per program
#   share/doc/vmm-mm/           the documentation
#
# Programs and libraries find each other relative to their own location
# (vmm/paths.h), so an installation works wherever its prefix is moved.
include(CMakePackageConfigHelpers)

install(TARGETS vmm vmmctl linux-runner scengen
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS linux-runner-child
        RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/vmm-mm)
install(TARGETS guest.elf
        RUNTIME DESTINATION ${CMAKE_INSTALL_DATADIR}/vmm-mm)
# linux-runner finds its child through vmm_paths.
target_link_libraries(linux-runner PRIVATE vmm_paths)

install(TARGETS vmm-mm EXPORT vmm-mm-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/vmm-mm/vmm.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vmm-mm)

# CMake package: vmm-mmConfig.cmake, its version file and the targets.
set(VMM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vmm-mm)
install(EXPORT vmm-mm-targets NAMESPACE vmm-mm:: DESTINATION ${VMM_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vmm-mmConfig.cmake.in
    ${CMAKE_BINARY_DIR}/vmm-mmConfig.cmake INSTALL_DESTINATION ${VMM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/vmm-mmConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/vmm-mmConfig.cmake
              ${CMAKE_BINARY_DIR}/vmm-mmConfigVersion.cmake
        DESTINATION ${VMM_CMAKE_DIR})

# pkg-config: relocatable (the prefix found from the .pc file itself), but
# plainly /usr for the system's own installation (the .deb).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(VMM_PC_PREFIX /usr)
else()
  file(RELATIVE_PATH _rel /vmm-mm-prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /vmm-mm-prefix)
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(VMM_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
set(VMM_PC_SANITIZE "")
if(VMM_SANITIZE)
  set(VMM_PC_SANITIZE "-fsanitize=address,undefined")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vmm-mm.pc.in ${CMAKE_BINARY_DIR}/vmm-mm.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/vmm-mm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Manual pages (written in roff: docs/man/) and bash completion.
install(FILES docs/man/vmm.1 docs/man/vmmctl.1 docs/man/linux-runner.1 docs/man/scengen.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/vmm-scenario.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
foreach(prog vmm vmmctl linux-runner scengen)
  install(FILES tools/completion/vmm-mm.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${prog})
endforeach()
install(FILES README.md docs/architecture.md docs/criterion-test.md docs/gdb.md docs/inspection.md
              docs/scenarios.md docs/memory-manager.md docs/demo.scn
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
