/* Runtime of the test guests: see tg.h. */
#include "tests/guests/tg.h"

_Static_assert(HC_CPU_ONLINE == 5, "start.S: HC_CPU_ONLINE");

/* Argument structs live in .bss: 8-byte aligned, inside the image. */
static struct hc_console console_arg;
static struct hc_ready ready_arg;
static struct hc_exit exit_arg;
static struct hc_panic panic_arg;

size_t tg_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void tg_console(uint64_t buf_gpa, uint64_t len)
{
	console_arg.buf = buf_gpa;
	console_arg.len = len;
	tg_hypercall_raw(HC_CONSOLE, (uint32_t)tg_gpa(&console_arg));
}

void tg_print(const char *s)
{
	tg_console(tg_gpa(s), tg_strlen(s));
}

void tg_channel_live(void)
{
	/* The host-reserved area is reachable through the identity map. */
	struct channel *ch = (struct channel *)CHANNEL_GPA;

	const struct boot_info *bi = (const struct boot_info *)BOOT_INFO_GPA;

	/* Test guests serve ring 0 only; the other CPUs just report online
	 * (start.S). */
	ch->nslots = CHANNEL_SLOTS;
	ch->version = CHANNEL_VERSION;
	ch->ncpus = bi->nr_cpus;
	ch->ring[0].resp_prod = ch->ring[0].req_prod;
	asm volatile("" : : : "memory");
	ch->magic = CHANNEL_MAGIC;
}

void tg_channel_publish(uint32_t done)
{
	struct channel *ch = (struct channel *)CHANNEL_GPA;

	/* As the real guest does: a locked store (full barrier), then the
	 * notification if the host sleeps (or the host would wait for its
	 * time-out whenever its brief spin ends before our answer). */
	asm volatile("xchgl %0, %1" : "+r"(done), "+m"(ch->ring[0].resp_prod) : : "memory");
	if (ch->ring[0].host_waiting)
		asm volatile("outl %0, %w1" : : "a"(0), "Nd"((uint16_t)CHANNEL_NOTIFY_PORT));
}

void tg_ready(void)
{
	ready_arg.abi_version = VMM_ABI_VERSION;
	ready_arg.mm_table = MM_TABLE_GPA;
	tg_hypercall_raw(HC_READY, (uint32_t)tg_gpa(&ready_arg));
}

void tg_exit(int64_t code)
{
	exit_arg.code = code;
	tg_hypercall_raw(HC_EXIT, (uint32_t)tg_gpa(&exit_arg));
	tg_halt();
}

void tg_panic(const char *msg, uint64_t len)
{
	panic_arg.msg = tg_gpa(msg);
	panic_arg.len = len;
	tg_hypercall_raw(HC_PANIC, (uint32_t)tg_gpa(&panic_arg));
	tg_halt();
}

void tg_idle(void)
{
	for (;;)
		asm volatile("sti; hlt; cli" : : : "memory");
}

void tg_halt(void)
{
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}
