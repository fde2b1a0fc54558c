/* Kernel console output and panic (guest/lib/printk.c). */
#ifndef GUEST_LIB_PRINTK_H
#define GUEST_LIB_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

/* Format into buf (always NUL-terminated if size > 0); returns the length
 * written.  Supports %s %c %d %i %u %x %p %% with l/ll/z and a zero-pad width. */
int vsnprintk(char *buf, size_t size, const char *fmt, va_list ap);
int snprintk(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write to the host console (one HC_CONSOLE call per call). */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a broken internal invariant to the host and stop.  The message
 * should name the function, as "unmap_region: ...". */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
