# CPack: a .deb for Debian 12 (amd64) of what cmake/install.cmake installs.
# Build it with tools/package.sh (a plain build with prefix /usr), then
#   apt-get install ./build-pkg/vmm-mm_VERSION_amd64.deb
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vmm-mm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "vmm-mm")
set(CPACK_PACKAGE_CONTACT "vmm-mm maintainers <vmm-mm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "hypervisor and guest kernel for testing a Linux-style memory manager")
set(CPACK_PACKAGE_DESCRIPTION
"vmm boots a tiny x86-64 guest kernel with a Linux-style memory manager on
KVM and drives it with a scenario language whose transcripts compare with
the host's own Linux (linux-runner).  Includes the control-socket client
vmmctl, the scenario generator scengen, and libvmm-mm, a C API for tests
against the guest's state (pkg-config vmm-mm, find_package(vmm-mm)).")
# The installed paths must be the ones compiled in (vmm/paths.h).
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Run-time libraries of the programs and of libvmm-mm (Debian 12 versions).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libelf1 (>= 0.188), libedit2 (>= 3.1)")
# Building tests against libvmm-mm, and reading its manual pages.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libcriterion-dev, pkg-config, cmake, gcc, man-db, bash-completion")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
if(VMM_SANITIZE)
  message(WARNING "a .deb of a sanitizer build needs the sanitizer runtimes: package a plain build")
endif()
include(CPack)
