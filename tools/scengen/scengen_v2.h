/*
 * Internals of scengen --v2 (scengen_v2.c: the state, processes,
 * expectations and the main loop; scengen_v2_mem.c: the memory operations).
 */
#ifndef TOOLS_SCENGEN_SCENGEN_V2_H
#define TOOLS_SCENGEN_SCENGEN_V2_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/scengen/v2_model.h"

/* mremap's flags as scengen prints them. */
#define R_MAYMOVE       1u
#define R_DONTUNMAP     2u
#define R_FIXED         4u

/* Bytes recently written (what check compares with, mostly). */
extern uint8_t v2_bytes[4];
/* --one-process: no fork, process, exit, shared mappings or expect
 * shared|exclusive (scengen_v2.c). */
extern bool v2_one_process;

/* The current process's page model. */
struct v2_model *v2_cur(void);
/* A page in the first WINDOW_PAGES pages of one of the scenario's windows. */
uint64_t v2_waddr(void);
/* 1..max pages, sometimes less by a few bytes. */
uint64_t v2_plen(unsigned max);
/* A PROT word and its M_* bits. */
unsigned v2_pick_prot(const char **word);
/* Print "OP ADDR LEN" (numbers in any accepted form). */
void v2_put_range(const char *op, uint64_t addr, uint64_t len);

void gen_mmap(void);
void gen_unmap_protect(void);
void gen_access(void);
void gen_madvise(void);
void gen_mlock(void);
void gen_mremap(void);

#endif
