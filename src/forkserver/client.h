/* client.h - what the fork-server offers the rest of the library: the
 * unit's process backend asks it for a child and collects the child's end
 * (client.c). The server itself and the messages the two sides exchange
 * are in forkserver_internal.h. */
#ifndef PT_FORKSERVER_CLIENT_H
#define PT_FORKSERVER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Runs in the server's child once it is set up, with the child's mapping
 * of the request's memfd. Its return value is the child's exit status. */
typedef int pt__fs_entry_fn(void *map, size_t map_bytes);

/* Runs in the server's child after its descriptors are arranged and before
 * it reports its set-up: the requester's own set-up of the child (the
 * unit's sandbox). keep_fd is the report socket, which must stay open.
 * Returns 0 or a positive errno value, reported as the set-up's result.
 * It may install a seccomp filter, so the report after it is a write(). */
typedef int pt__fs_setup_fn(void *map, size_t map_bytes, int keep_fd);

/* Most descriptors one request hands on to its child. */
#define PT__FS_PASS_MAX 16

struct pt__fs_spawn {
	pt__fs_entry_fn *entry; /* a function of this program image */
	pt__fs_setup_fn *setup; /* likewise; NULL: none */
	int memfd;		/* mapped whole by the child; borrowed */
	size_t map_bytes;
	const int *pass_fds; /* given to the child at the same numbers */
	size_t npass_fds;
	uint64_t cpu_mask;
	const char *name;
	int survive;   /* the child outlives the server (no PDEATHSIG) */
	int own_group; /* the child leads a group, killed when it is reaped */
};

/* One child of the server, as its requester sees it. */
struct pt__fs_child {
	pid_t pid;
	int pidfd;     /* for signals only: the child is not ours to wait */
	int status_fd; /* readable when the exit record (or EOF) is there */
	bool lost;     /* the server died before the child's end was known */
};

/* How the child ended, measured by the server that reaped it. */
struct pt__fs_exit {
	int wstatus;
	uint64_t end_ns; /* CLOCK_MONOTONIC when the server reaped it */
	uint64_t user_ns;
	uint64_t system_ns;
	uint64_t maxrss_bytes;
	uint64_t voluntary_switches;
	uint64_t involuntary_switches;
};

/* True when this process started a server and has not stopped it, alive
 * or dead: units that may go through it must (a dead one fails them with
 * -EPIPE rather than let them fork from a threaded caller). Thread-safe. */
bool pt__fs_started(void);

/* Asks the server for a child. Returns 0 and fills *out; -ENOTCONN when no
 * server runs for this process (the caller then forks itself); the child's
 * set-up error (negative errno); -ECHILD when it died before its set-up
 * ended; -EPIPE when the server is gone. Thread-safe. */
int pt__fs_spawn(const struct pt__fs_spawn *req, struct pt__fs_child *out);

/* Reads the child's exit record, blocking until the server sends it (poll
 * status_fd first to wait with a timeout). Returns 0, or -EPIPE when the
 * server died before the child's end was known. Call at most once. */
int pt__fs_collect(struct pt__fs_child *child, struct pt__fs_exit *exit);

/* Closes the child's descriptors and ends the request's claim on the
 * server. The child must have ended and been collected, or be killed and
 * collected here (stop set: SIGKILL, then wait for the record; through
 * its pidfd, or its pid when the pidfd could not be received). */
void pt__fs_release(struct pt__fs_child *child, bool stop);

#endif
