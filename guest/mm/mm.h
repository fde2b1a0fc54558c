/*
 * The memory manager's public API: what the rest of the guest kernel
 * (boot, request dispatch, the page-fault trap) calls.  Linux's anonymous
 * private memory is the model; errors are negative Linux errno values.
 */
#ifndef GUEST_MM_MM_H
#define GUEST_MM_MM_H

#include <stdint.h>

#include "shared/channel.h"

struct mm_struct;

/* Boot: manage frames [free_start, ram_size) (guest-physical, 4 KiB aligned; everything
 * in that range reads as zero at boot); kernel_pml4 = virtual address of the master PML4 whose
 * entries 256..511 (kernel half) are copied into every new mm's PML4. Publishes struct mm_table
 * at phys_to_virt(MM_TABLE_GPA). Allocates the shared zero page. */
void mm_init(uint64_t free_start, uint64_t ram_size, const uint64_t *kernel_pml4);
int mm_create(void);                          /* new mm id >= 1, or -ENOMEM */
int mm_destroy(uint32_t id);                  /* exit_mmap: everything freed; 0 or -ESRCH */
struct mm_struct *mm_lookup(uint32_t id);     /* NULL if no such mm */
void switch_mm(struct mm_struct *mm);         /* load its PML4 (arch_load_cr3) unless current; marks the CPU in mm's cpu mask; NULL: the master PML4 */
long do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags); /* address or -errno; flags MMAP_F_FIXED / MMAP_F_NOREPLACE / 0 = kernel chooses (top-down below MMAP_BASE) */
int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len);
int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t prot);
/* A ring-3 access fault at addr with the x86 #PF error code (bit0 P, bit1 W, bit2 U, bit4 I):
 * 0 = resolved (retry the access), FAULT_MAPERR or FAULT_ACCERR (shared/channel.h).
 * -ENOMEM when no frame or page-table page could be had (Linux would OOM-kill). */
int handle_mm_fault(struct mm_struct *mm, uint64_t addr, uint32_t error_code);
/* Copy up to max VMAs with vm_end > from, in order; returns entries written; *map_count = mm's VMA count. */
int mm_vma_list(struct mm_struct *mm, uint64_t from, struct chan_vma *out, unsigned max, uint64_t *map_count);
/* Leaf PTE for addr (0 if none) and its level (1 = 4 KiB). Returns 0. */
int mm_pte_lookup(struct mm_struct *mm, uint64_t addr, uint64_t *pte, int *level);
/* Test-only: break an invariant on purpose (INJECT_* kinds). 0 or -EINVAL. */
int mm_inject(struct mm_struct *mm, int kind, uint64_t addr);
/* Bracket every request that may change published state (mm_table.seq odd in between). */
void mm_seq_begin(void);
void mm_seq_end(void);
void mm_note_request_done(void);              /* mm_table.requests++ */

#endif
