/* Helpers of tests/vm/: see vm_test.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/vm/vm_test.h"

extern char **environ;

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *env_or(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

const char *vmm_bin_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", env_or("VMM_BIN", VMM_BIN_DEFAULT), name);
	return buf;
}

const char *test_guest_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.elf", env_or("VMM_TEST_GUESTS", TEST_GUEST_DIR_DEFAULT), name);
	return buf;
}

void tvm_create(struct tvm *t, struct vm_config cfg)
{
	memset(t, 0, sizeof(*t));
	t->console = open_memstream(&t->console_buf, &t->console_len);
	cr_assert_not_null(t->console, "open_memstream");
	cfg.console = t->console;
	double t0 = now_ms();
	t->status = vm_create(&cfg, &t->vm, t->err, sizeof(t->err));
	t->create_ms = now_ms() - t0;
	/* KVM must be usable here: a setup failure (an error other than bad
	 * input, and no VM kept for a report) is a test failure. */
	cr_assert(t->status == 0 || t->vm || t->status == -EINVAL || t->status == -ENOEXEC,
		  "vm_create(%s): %d: %s", cfg.guest_path, t->status, t->err);
}

void tvm_boot_real(struct tvm *t)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)) };

	tvm_create(t, cfg);
	cr_assert_eq(t->status, 0, "booting %s: status %d: %s", path, t->status, t->err);
	cr_assert_null(vm_failure(t->vm));
}

void tvm_destroy(struct tvm *t)
{
	vm_destroy(t->vm);
	t->vm = NULL;
	if (t->console) {
		fclose(t->console);     /* the vCPU thread is gone: no more writers */
		t->console = NULL;
	}
}

void tvm_free_console(struct tvm *t)
{
	free(t->console_buf);
	t->console_buf = NULL;
}

char *tvm_report(struct tvm *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	vm_report_failure(t->vm, f);
	fclose(f);
	return buf;
}

const char *guest_elf_path(void)
{
	static char path[4096];

	return vmm_bin_path("guest.elf", path, sizeof(path));
}

static char *slurp(int fd)
{
	struct stat st;

	cr_assert_eq(fstat(fd, &st), 0);
	char *buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
	cr_assert_eq(n, st.st_size);
	buf[n] = 0;
	return buf;
}

static int temp_file(const char *content)
{
	char name[] = "/tmp/vmm-cli-XXXXXX";
	int fd = mkstemp(name);

	cr_assert_geq(fd, 0);
	unlink(name);
	if (content) {
		size_t len = strlen(content);
		cr_assert_eq(write(fd, content, len), (ssize_t)len);
		lseek(fd, 0, SEEK_SET);
	}
	return fd;
}

struct vmm_proc vmm_spawn(const char *input, const char *const *args)
{
	char vmm[4096];
	const char *argv[16] = { vmm_bin_path("vmm", vmm, sizeof(vmm)) };
	struct vmm_proc p;
	int n = 1;

	while (args[n - 1] && n < 15) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;

	p.in = temp_file(input ? input : "");
	p.out = temp_file(NULL);
	p.err = temp_file(NULL);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p.in, 0);
	posix_spawn_file_actions_adddup2(&fa, p.out, 1);
	posix_spawn_file_actions_adddup2(&fa, p.err, 2);
	int r = posix_spawn(&p.pid, vmm, &fa, NULL, (char *const *)argv, environ);
	cr_assert_eq(r, 0, "cannot run %s: %s", vmm, strerror(r));
	posix_spawn_file_actions_destroy(&fa);
	return p;
}

struct run vmm_wait(struct vmm_proc *p)
{
	int ws;

	cr_assert_eq(waitpid(p->pid, &ws, 0), p->pid);
	struct run res = {
		.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
		.out = slurp(p->out),
		.err = slurp(p->err),
	};
	close(p->in);
	close(p->out);
	close(p->err);
	return res;
}

struct run run_vmm(const char *input, const char *const *args)
{
	struct vmm_proc p = vmm_spawn(input, args);

	return vmm_wait(&p);
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}
