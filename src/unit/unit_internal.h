/* unit_internal.h - what the unit front end (unit.c) shares with its two
 * backends, thread.c and process.c. */
#ifndef PT_UNIT_INTERNAL_H
#define PT_UNIT_INTERNAL_H

#include <procthread/unit.h>

#include "unit/sandbox.h"

#include "forkserver/forkserver_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

/* The part of a unit that the running function sees. For a process unit it
 * lives in a MAP_SHARED mapping made before the fork, so the parent reads
 * what the child wrote; the parent trusts none of it beyond the bounds it
 * keeps itself (result_len is clamped to the capacity it chose). */
struct pt__unit_shared {
	atomic_int cancelled; /* set by the parent, read by pt_cancelled() */
	atomic_int returned;  /* fn returned, as opposed to exit or crash */
	int code;	      /* fn's return value, once returned is set */
	atomic_size_t result_len;
	size_t result_capacity; /* a copy for the child's own checks */
	/* Written by the parent before a fork-server child starts: what it
	 * runs, and where its argument bytes lie in this block. */
	pt_unit_fn *fn;
	size_t arg_offset;
	size_t arg_len;
	size_t sandbox_offset; /* a struct pt__sandbox there; 0: none */
	unsigned char result[];
};

struct pt_unit {
	enum pt_kind kind;
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

/* The calling thread's unit, if it runs one (thread units set it on their
 * thread, process units in the child). */
extern _Thread_local struct pt__unit_shared *pt__unit_self;

/* Backends: spawn fills the backend fields of a unit the front end has
 * validated and allocated (kind, name, fn, arg, deadline, shared); wait
 * blocks until the unit ended or until until_ns (CLOCK_MONOTONIC, 0:
 * forever) and returns 1 (ended), 0 (not yet) or -errno; reap collects
 * the ended unit into unit->status; abandon stops and reaps a unit nobody
 * joined. */
int pt__thread_spawn(pt_unit *unit, const struct pt_unit_opts *opts);
int pt__thread_wait(pt_unit *unit, uint64_t until_ns);
void pt__thread_reap(pt_unit *unit);
void pt__thread_abandon(pt_unit *unit);

/* Maps the shared block of a process unit (a memfd when it goes through
 * the fork-server, which receives it) and copies arg's bytes, and the
 * prepared unit->sandbox, after it. */
int pt__process_map(pt_unit *unit, const struct pt_unit_opts *opts,
		    const void *arg);
int pt__process_spawn(pt_unit *unit, const struct pt_unit_opts *opts);
int pt__process_wait(pt_unit *unit, uint64_t until_ns);
int pt__process_reap(pt_unit *unit);
void pt__process_abandon(pt_unit *unit);

/* The bytes of the shared block for a given result capacity. */
size_t pt__unit_shared_bytes(size_t result_capacity);

/* Where a fork-server unit's argument bytes start in its shared block. */
size_t pt__unit_arg_offset(size_t result_capacity);

#endif
