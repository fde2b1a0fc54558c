/*
 * The guest states the examples of docs/inspection.md are printed from,
 * laid out in synthetic memory (synth.h) as the guest lays them out, so
 * that test_docs.c can check every marked example against the code.
 */
#ifndef TESTS_INSPECT_DOC_SCENE_H
#define TESTS_INSPECT_DOC_SCENE_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/inspect/synth.h"

/*
 * Build scene name into s (initialised here; synth_free it) and return the
 * current mm, or 0 for an unknown name:
 *   demo     128 MiB; the guest's kernel half (direct map, APIC window,
 *            kernel image, user trampoline) and mm 1 after
 *              mmap 0x100000000000 16K rw-
 *              touch 0x100000000000 8K write
 *              touch 0x100000002000 4K read        (the zero page)
 *              mprotect 0x100000001000 4K ---
 *   two-mms  demo, then `mm new` (mm 2, empty, current)
 *   smaps    demo's kernel half and mm 1 after
 *              mmap 0x100000000000 16K rw-
 *              touch 0x100000000000 8K write
 *              touch 0x100000002000 4K read
 *   broken   demo, then `inject writable-zero 0x100000002000`
 *   fork     smaps's kernel half and mm 1 after
 *              mmap 0x100000000000 8K rw-
 *              touch 0x100000000000 8K write
 *              fork                               (mm 2, current)
 *              touch 0x100000001000 4K write      (mm 2 copies that page)
 */
uint32_t doc_scene(struct synth *s, const char *name);

#endif
