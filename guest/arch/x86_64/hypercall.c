/* Wrappers for the guest -> host calls; argument structs are per CPU. */
#include "guest/arch/x86_64/hypercall.h"
#include "guest/arch/x86_64/percpu.h"
#include "shared/abi.h"

void hc_console(const char *buf, size_t len)
{
	struct hc_console *a = &this_cpu()->hc.console;

	a->buf = kva_to_gpa(buf);
	a->len = len > HC_CONSOLE_MAX ? HC_CONSOLE_MAX : len;
	hypercall(HC_CONSOLE, a);
}

void hc_ready(void)
{
	struct hc_ready *a = &this_cpu()->hc.ready;

	a->abi_version = VMM_ABI_VERSION;
	a->mm_table = MM_TABLE_GPA;
	hypercall(HC_READY, a);
}

void hc_cpu_online(unsigned cpu)
{
	struct hc_cpu_online *a = &this_cpu()->hc.cpu_online;

	a->cpu = cpu;
	a->pad = 0;
	hypercall(HC_CPU_ONLINE, a);
}

void hc_panic(const char *msg, size_t len)
{
	struct hc_panic *a = &this_cpu()->hc.panic;

	a->msg = kva_to_gpa(msg);
	a->len = len > HC_PANIC_MAX ? HC_PANIC_MAX : len;
	for (;;) {
		hypercall(HC_PANIC, a);
		asm volatile("cli; hlt");
	}
}

void hc_exit(int64_t code)
{
	struct hc_exit *a = &this_cpu()->hc.exit;

	a->code = code;
	for (;;) {
		hypercall(HC_EXIT, a);
		asm volatile("cli; hlt");
	}
}
