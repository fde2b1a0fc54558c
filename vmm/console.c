/* Guest console: complete lines go to the console stream with a prefix; the
 * last CONSOLE_KEEP lines are kept for crash reports.  Several vCPUs write
 * at once: console_lock serialises them (a line is one CPU's until its end). */
#include <string.h>

#include "vmm/vm_internal.h"

static void keep(struct vm *vm, const char *line)
{
	snprintf(vm->last[vm->last_next], CONSOLE_LINE_MAX, "%s", line);
	vm->last_next = (vm->last_next + 1) % CONSOLE_KEEP;
	if (vm->last_count < CONSOLE_KEEP)
		vm->last_count++;
}

static void flush_locked(struct vm *vm)
{
	if (!vm->line_len)
		return;
	vm->line[vm->line_len] = 0;
	keep(vm, vm->line);
	if (!vm->cfg.quiet)
		fprintf(vm->console, "[guest] %s\n", vm->line);
	vm->line_len = 0;
}

void console_flush(struct vm *vm)
{
	pthread_mutex_lock(&vm->console_lock);
	flush_locked(vm);
	pthread_mutex_unlock(&vm->console_lock);
}

void console_write(struct vm *vm, const char *buf, size_t len)
{
	pthread_mutex_lock(&vm->console_lock);
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\n' || vm->line_len == CONSOLE_LINE_MAX - 1) {
			flush_locked(vm);
			if (c == '\n')
				continue;
		}
		/* Never let the guest write control characters to our terminal. */
		vm->line[vm->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
	}
	pthread_mutex_unlock(&vm->console_lock);
}

void console_print_last(struct vm *vm, FILE *f)
{
	pthread_mutex_lock(&vm->console_lock);
	unsigned start = (vm->last_next + CONSOLE_KEEP - vm->last_count) % CONSOLE_KEEP;

	fprintf(f, "last %u console line(s):\n", vm->last_count);
	for (unsigned i = 0; i < vm->last_count; i++)
		fprintf(f, "  %s\n", vm->last[(start + i) % CONSOLE_KEEP]);
	pthread_mutex_unlock(&vm->console_lock);
}
