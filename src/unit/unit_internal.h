/* unit_internal.h - what the unit front end (unit.c) shares with its two
 * backends, thread.c and process.c: the unit, and the ops table through
 * which the front end reaches a backend. The block the running function
 * sees is in shared.h. */
#ifndef PT_UNIT_INTERNAL_H
#define PT_UNIT_INTERNAL_H

#include <procthread/unit.h>

#include "unit/sandbox.h"
#include "unit/shared.h"

#include "forkserver/client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

struct pt__unit_ops;

struct pt_unit {
	enum pt_kind kind;
	const struct pt__unit_ops *ops; /* the backend of kind */
	char name[16];
	pt_unit_fn *fn;
	void *arg;
	uint64_t spawn_ns;
	uint64_t deadline_ns; /* 0: none */
	size_t result_capacity;
	struct pt__unit_shared *shared;
	size_t shared_bytes;
	int fd; /* pidfd, status socket or eventfd: readable once it ended */
	int sig_fd; /* a process's pidfd, for signals (may equal fd) */
	bool joined;
	bool deadline_hit; /* the deadline passed while joining */
	struct pt_status status;

	/* thread backend */
	pthread_t thread;
	bool thread_started; /* created and not yet pthread_join()ed */
	void *thread_retval;
	uint64_t end_ns; /* written by the thread before it signals */
	struct pt_usage thread_usage;
	pid_t tid;

	/* process backend */
	struct pt__sandbox *sandbox; /* NULL: none (sandbox.h) */
	pid_t pid;
	bool own_group;		/* leads its own process group */
	bool via_server;	/* forked by the fork-server */
	int memfd;		/* backs shared until the server has it */
	struct pt__fs_child fs; /* the server's child, when via_server */
};

/* A backend, one per kind (thread.c, process.c). The front end validates
 * the options and allocates the unit (kind, name, fn, arg, deadline, result
 * capacity), then calls, in this order:
 * - map: makes unit->shared, unit->shared_bytes bytes, zeroed (a process
 *   unit's is shared with the child; arg's bytes and unit->sandbox go into
 *   it when a fork-server forks it);
 * - spawn: starts fn(arg) and sets the unit's descriptors;
 * - wait: blocks until the unit ended or until until_ns (CLOCK_MONOTONIC,
 *   0: forever); returns 1 (ended), 0 (not yet) or -errno;
 * - reap: collects the ended unit into unit->status; 0 or -errno;
 * - abandon: stops and reaps a unit nobody joined, and closes what spawn
 *   opened; it runs on every spawned unit, joined or not;
 * - unmap: frees unit->shared (and what map kept), on every mapped unit.
 * signal sends sig to the unit; NULL where a kind cannot be signalled (a
 * thread is only asked to stop, through shared->cancelled). pid is the
 * process the unit runs in. sandboxed: the kind takes opts.sandbox. */
struct pt__unit_ops {
	int (*map)(pt_unit *unit, const struct pt_unit_opts *opts,
		   const void *arg);
	int (*spawn)(pt_unit *unit, const struct pt_unit_opts *opts);
	int (*wait)(pt_unit *unit, uint64_t until_ns);
	int (*reap)(pt_unit *unit);
	void (*abandon)(pt_unit *unit);
	void (*unmap)(pt_unit *unit);
	int (*signal)(pt_unit *unit, int sig);
	int (*pid)(const pt_unit *unit);
	bool sandboxed;
};

extern const struct pt__unit_ops pt__thread_unit_ops;
extern const struct pt__unit_ops pt__process_unit_ops;

#endif
