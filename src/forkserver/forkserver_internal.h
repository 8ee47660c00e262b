/* forkserver_internal.h - what the fork-server offers the rest of the
 * library (the unit's process backend), and the messages its two sides
 * exchange. See client.c for the design. */
#ifndef PT_FORKSERVER_INTERNAL_H
#define PT_FORKSERVER_INTERNAL_H

#include <procthread/forkserver.h>

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
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
 * collected here (kill set: SIGKILL, then wait for the record). */
void pt__fs_release(struct pt__fs_child *child, bool kill);

/* --- the wire: SOCK_SEQPACKET messages, one struct per message --------- */

#define PT__FS_MAGIC 0x70746673u /* "ptfs" */

struct pt__fs_request {
	uint32_t magic;
	int32_t survive;
	pt__fs_entry_fn *entry;
	pt__fs_setup_fn *setup;
	uint64_t map_bytes;
	uint64_t cpu_mask;
	uint32_t npass_fds;
	int32_t own_group;
	int32_t targets[PT__FS_PASS_MAX]; /* numbers in the requester */
	char name[16];
};
/* With SCM_RIGHTS: the memfd, the server's end of the status socket, then
 * the npass_fds descriptors. A request whose entry is NULL is a PING: only
 * the status socket comes with it, and the REPLY carries the server's own
 * pid (the twin's, once it has taken over). */

enum pt__fs_msg_type {
	PT__FS_REPLY = 1, /* from the server: forked (err 0, pidfd attached)
			     or not (err) */
	PT__FS_SETUP,	  /* from the child: its set-up's errno or 0 */
	PT__FS_EXIT,	  /* from the server: the child was reaped */
};

struct pt__fs_msg {
	uint32_t type;
	int32_t err;
	int32_t pid;
	int32_t wstatus;
	struct pt__fs_exit exit;
};

/* The server's main loop, in the child made by pt_forkserver_start(): ctl
 * is its end of the request socket; every other descriptor is closed. It
 * starts with every signal blocked; mask is the owner's signal mask. */
_Noreturn void pt__fs_serve(int ctl, const sigset_t *mask);

#endif
