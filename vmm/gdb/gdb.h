/*
 * vmm's gdb stub (docs/gdb.md): `vmm --gdb PORT` (TCP on 127.0.0.1) or
 * `--gdb unix:PATH` serves the GDB remote serial protocol for the guest
 * kernel, one client at a time, on a thread of its own.  It is started
 * before the VM (its vm_debugger goes into vm_config), so that with
 * --gdb-wait the guest is held before its first instruction; stopped
 * before the VM is destroyed, freed after.
 */
#ifndef VMM_GDB_GDB_H
#define VMM_GDB_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct gdb_stub;
struct vm_debugger;

/* Check the argument of --gdb: 0, or -1 with a message in err. */
int gdb_addr_check(const char *spec, char *err, size_t errlen);

/*
 * Listen at spec and start serving; held: the guest starts stopped.
 * log: where the stub's diagnostics go.  0 and *out, or -errno with a
 * message in err (the address is taken, the path exists...).
 */
int gdb_stub_start(const char *spec, bool held, FILE *log, struct gdb_stub **out,
		   char *err, size_t errlen);

/* What vm_config.debugger takes. */
struct vm_debugger *gdb_stub_debugger(struct gdb_stub *s);

/* Tell a connected client the guest is gone, stop serving and let the
 * guest run free: before vm_destroy.  NULL is allowed. */
void gdb_stub_stop(struct gdb_stub *s);

/* Free s (stopping it first if need be; a UNIX socket's path is removed):
 * after vm_destroy, whose vCPUs use its vm_debugger until then. */
void gdb_stub_free(struct gdb_stub *s);

#endif
