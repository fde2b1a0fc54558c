/* Wrappers for the guest -> host calls; argument structs live in .bss. */
#include "guest/arch/x86_64/hypercall.h"
#include "shared/abi.h"

static struct hc_console console_arg;
static struct hc_ready ready_arg;
static struct hc_panic panic_arg;
static struct hc_exit exit_arg;

void hc_console(const char *buf, size_t len)
{
	console_arg.buf = kva_to_gpa(buf);
	console_arg.len = len > HC_CONSOLE_MAX ? HC_CONSOLE_MAX : len;
	hypercall(HC_CONSOLE, &console_arg);
}

void hc_ready(void)
{
	ready_arg.abi_version = VMM_ABI_VERSION;
	ready_arg.mm_table = MM_TABLE_GPA;
	hypercall(HC_READY, &ready_arg);
}

void hc_panic(const char *msg, size_t len)
{
	panic_arg.msg = kva_to_gpa(msg);
	panic_arg.len = len > HC_PANIC_MAX ? HC_PANIC_MAX : len;
	for (;;) {
		hypercall(HC_PANIC, &panic_arg);
		asm volatile("cli; hlt");
	}
}

void hc_exit(int64_t code)
{
	exit_arg.code = code;
	for (;;) {
		hypercall(HC_EXIT, &exit_arg);
		asm volatile("cli; hlt");
	}
}
