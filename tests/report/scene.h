/*
 * A known scenario as report steps, from synthetic guest memory
 * (tests/inspect/synth.h): no VM.  The story of tests/report/hole.scn:
 *   1. mmap 0x100000000000 64K rw-       one VMA, nothing present
 *   2. touch 0x100000000000 64K write    16 private pages, one anon_vma
 *   3. munmap 0x100000006000 16K         two VMAs sharing the anon_vma
 *   4. mprotect 0x10000000a000 8K r--    three VMAs, two read-only pages
 *   5. mmap 0x180000000000 8K r--        a second mapping far away,
 *                                        one zero-page PTE
 */
#ifndef TESTS_REPORT_SCENE_H
#define TESTS_REPORT_SCENE_H

#include <stdio.h>

#include "vmm/report/report.h"

#define SCENE_BASE   0x100000000000ULL
#define SCENE_FAR    0x180000000000ULL
#define SCENE_STEPS  5
#define SCENE_ANON   0xffff888000123000ULL   /* the anon_vma pointer */

/* Add the scene's steps to r, with trace text when with_trace. */
void scene_build(struct report *r, int with_trace);

/* The page of the scene (with_trace as above) in a malloc'ed string. */
char *scene_html(int with_trace);

#endif
