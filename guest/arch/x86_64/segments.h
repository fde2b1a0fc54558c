/* GDT selectors (guest/arch/x86_64/cpu.c builds the table). */
#ifndef GUEST_ARCH_SEGMENTS_H
#define GUEST_ARCH_SEGMENTS_H

#define KERNEL_CS   0x08
#define KERNEL_DS   0x10
#define USER_DS     0x1b    /* 0x18 | RPL 3 */
#define USER_CS     0x23    /* 0x20 | RPL 3 */
#define TSS_SEL     0x28

#endif
