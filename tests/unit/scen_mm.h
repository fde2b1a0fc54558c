/*
 * A scenario backend (vmm/script/script.h) on the guest's memory manager
 * compiled for the host (mm_host, fake_arch.c): the scenario language,
 * processes included, runs natively against the very guest/mm code, so the
 * corpus and random scenarios can be compared with Linux's transcripts
 * without booting a guest.  Every operation is followed by check_all().
 */
#ifndef TESTS_UNIT_SCEN_MM_H
#define TESTS_UNIT_SCEN_MM_H

#include "vmm/script/script.h"

/* A backend with process 1 on a fresh mm (fake_setup() must have run). */
struct scen_backend *scen_mm_new(void);
/* Frames in use by the backend's processes' mms (all live mms). */
unsigned scen_mm_live(struct scen_backend *be);
/* The whole file as a malloc'ed string (a Criterion failure if unreadable). */
char *scen_slurp(const char *path);

#endif
