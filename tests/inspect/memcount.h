/*
 * Heap accounting for the tests that bound what a hostile guest can make
 * the host allocate: the peak of bytes held between memcount_start() and
 * memcount_stop(), counted at every malloc and free of the process.  Under
 * AddressSanitizer it uses the sanitizer's allocation hooks; otherwise it
 * replaces malloc and friends with counting wrappers around glibc's own
 * (glibc supports replacing them).
 */
#ifndef TESTS_INSPECT_MEMCOUNT_H
#define TESTS_INSPECT_MEMCOUNT_H

#include <stddef.h>

/* Start counting: what is held from now on, and its peak, start at 0. */
void memcount_start(void);

/* Stop counting; returns the peak of (bytes allocated - bytes freed) since
 * memcount_start (frees of older blocks count too, so it may be low by
 * what was freed of them: the tests free nothing of their own meanwhile). */
size_t memcount_stop(void);

#endif
