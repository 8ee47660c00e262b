/* forkserver_internal.h - what the fork-server's two sides, client.c and
 * server.c, share: the messages they exchange and the server's main loop.
 * What the rest of the library uses is in client.h. See client.c for the
 * design. */
#ifndef PT_FORKSERVER_INTERNAL_H
#define PT_FORKSERVER_INTERNAL_H

#include <procthread/forkserver.h>

#include "forkserver/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

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
