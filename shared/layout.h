/*
 * Guest-physical and guest-virtual layout: the one place for "magic
 * addresses" shared by the host (vmm/) and the guest kernel (guest/).
 *
 * Guest RAM is one slot starting at guest-physical 0.  The first megabyte
 * belongs to the host: it writes the boot information and the boot page
 * tables there, and the request channel and the mm table live there.  The
 * kernel ELF must load at or above HOST_RESERVED_END.
 */
#ifndef SHARED_LAYOUT_H
#define SHARED_LAYOUT_H

#define PAGE_SIZE_4K          0x1000ULL
#define PAGE_SIZE_2M          0x200000ULL

/* ---- guest-physical map (host-reserved first megabyte) ---- */
#define BOOT_INFO_GPA         0x1000ULL   /* struct boot_info, written by host */
#define BOOT_PML4_GPA         0x2000ULL   /* boot page tables, written by host */
#define BOOT_PDPT_LOW_GPA     0x3000ULL   /*   identity map of the first 1 GiB */
#define BOOT_PDPT_HIGH_GPA    0x4000ULL   /*   KERNEL_VIRT_BASE -> 0, 1 GiB     */
#define BOOT_PD_GPA           0x5000ULL   /*   512 x 2 MiB, shared by both      */
#define CHANNEL_GPA           0x10000ULL  /* struct channel (shared/channel.h) */
#define CHANNEL_SIZE          0x40000ULL  /* 256 KiB: header, slots, data area */
#define MM_TABLE_GPA          0x50000ULL  /* struct mm_table (shared/mm_abi.h) */
#define MM_TABLE_SIZE         0x10000ULL
#define TRACE_GPA             0x60000ULL  /* trace control page + per-CPU rings (shared/trace.h) */
#define TRACE_SIZE            0x41000ULL
#define TLBLOG_GPA            0xa1000ULL  /* TLB-coherence log control page (shared/tlblog.h) */
#define TLBLOG_SIZE           0x1000ULL
#define HOST_RESERVED_END     0x100000ULL /* ELF PT_LOAD must start here or above */

/* ---- RAM size limits accepted by vmm --mem ---- */
#define GUEST_MEM_MIN         (16ULL << 20)
/* RAM must end below the IOAPIC/LAPIC MMIO window at 0xfec00000. */
#define GUEST_MEM_MAX         (3ULL << 30)
#define GUEST_MEM_DEFAULT     (128ULL << 20)

/* ---- guest-virtual map ---- */
/* The kernel image is linked here; virtual = KERNEL_VIRT_BASE + physical. */
#define KERNEL_VIRT_BASE      0xffffffff80000000ULL
/* All of RAM, mapped with 2 MiB pages by the guest (as Linux's page_offset_base). */
#define DIRECT_MAP_BASE       0xffff888000000000ULL
/* One user-accessible (U=1) page of kernel-provided code that performs the
 * ring-3 accesses of touch/fill/check, at the address of Linux's vsyscall page. */
#define USER_TRAMPOLINE_VA    0xffffffffff600000ULL
/* Linux x86-64 TASK_SIZE with 4-level paging: user addresses lie below it. */
#define TASK_SIZE             0x7ffffffff000ULL
/* Top of the top-down search for kernel-chosen mmap addresses. */
#define MMAP_BASE             0x7f0000000000ULL
/* Lowest address mmap may hand out or accept (vm.mmap_min_addr). */
#define MMAP_MIN_ADDR         0x10000ULL

/* ---- I/O ports (guest -> host hypercalls, see shared/hypercall.h) ---- */
#define HC_PORT_BASE          0x500       /* port = HC_PORT_BASE + call number */
#define HC_PORT_COUNT         16
/* Guest -> host "answers ready" (shared/channel.h, host_waiting): a 4-byte
 * write of the ring's CPU number; never a hypercall port. */
#define CHANNEL_NOTIFY_PORT   0x520

/* ---- interrupts (host -> guest doorbell) ---- */
#define DOORBELL_GSI          16          /* IOAPIC pin the host raises for CPU 0; */
                                          /* CPU c's is DOORBELL_GSI + c (pins 16..23) */
#define DOORBELL_VECTOR       0x40        /* IDT vector the guest programs for them */
#define TLB_IPI_VECTOR        0x41        /* CPU -> CPU: flush request (x2APIC ICR) */
#define IOAPIC_BASE_GPA       0xfec00000ULL
#define LAPIC_BASE_GPA        0xfee00000ULL

#endif
