/*
 * Inside the gdb stub (vmm/gdb/gdb.h): the server thread and its client.
 */
#ifndef VMM_GDB_SERVER_H
#define VMM_GDB_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "vmm/gdb/cmds.h"
#include "vmm/gdb/ctl.h"
#include "vmm/gdb/target.h"

struct gdb_stub {
	struct gdb_ctl *ctl;
	int listen_fd;
	int quit_fd;                /* eventfd: gdb_stub_stop was called */
	char *unix_path;            /* removed at the end, or NULL */
	FILE *log;
	pthread_t thread;
	bool thread_started;
};

/* One connection (server.c). */
struct gdb_client {
	struct gdb_stub *stub;
	int fd;
	struct gdb_vm_target target;
	struct gdb_session session;
	struct gdb_rx rx;
	struct gdb_reply reply;
	char frame[GDB_FRAME_MAX];  /* the last packet sent, for a '-' */
	size_t frame_len;
};

/* Listen at spec (gdb_addr_check's syntax): the fd, or -errno with err. */
int gdb_listen(const char *spec, char *err, size_t errlen);

/* Serve one client until it goes or the stub stops (client.c). */
void gdb_client_serve(struct gdb_stub *s, int fd);

#endif
