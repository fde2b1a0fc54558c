/*
 * The x86-64 page-table entry format as the guest writes it and the host
 * reads it (inspection, the checker, crash walks, the scenario backend).
 * The hardware bits are Intel's; PTE_PROTNONE is the guest's convention,
 * Linux's _PAGE_PROTNONE, and so part of the ABI.
 */
#ifndef SHARED_PTE_H
#define SHARED_PTE_H

#define PTE_P           (1ULL << 0)
#define PTE_W           (1ULL << 1)
#define PTE_U           (1ULL << 2)
#define PTE_PWT         (1ULL << 3)
#define PTE_PCD         (1ULL << 4)
#define PTE_A           (1ULL << 5)
#define PTE_D           (1ULL << 6)
#define PTE_PS          (1ULL << 7)
#define PTE_G           (1ULL << 8)
/* In a user leaf with P clear: a PROT_NONE mapping that still holds its
 * frame (G's position; user leaves are never global).  Such a page counts
 * as mapped, as Linux's pte_present() says. */
#define PTE_PROTNONE    (1ULL << 8)
#define PTE_NX          (1ULL << 63)
#define PTE_ADDR_MASK   0x000ffffffffff000ULL

#endif
