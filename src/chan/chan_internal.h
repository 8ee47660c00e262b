/* chan_internal.h - what the channel front end (chan.c) shares with its
 * transports: the handle, the ops table each transport fills, and the
 * waiting helpers every transport uses (wait.c, a leaf). */
#ifndef PT_CHAN_INTERNAL_H
#define PT_CHAN_INTERNAL_H

#include <procthread/chan.h>
#include <procthread/region.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PT__CHAN_WATCH_MAX   8
#define PT__CHAN_DEFAULT_MSG 4096

/* When a call may wait: until deadline_ns (0: forever), or not at all. */
struct pt__wait {
	uint64_t deadline_ns;
	bool nowait;
};

/* A transport. Every call gets a validated channel and arguments (len <=
 * max_msg_bytes, buffers non-NULL where used). A NULL zero-copy entry
 * means -ENOTSUP. create fills chan->impl; destroy frees it. */
struct pt__chan_ops {
	int (*create)(pt_chan *chan);
	int (*send)(pt_chan *chan, const void *buf, size_t len,
		    const struct pt__wait *wait);
	int (*recv)(pt_chan *chan, void *buf, size_t cap, size_t *len,
		    const struct pt__wait *wait);
	/* Optional fast paths: one non-blocking try, made before the call's
	 * deadline is computed, so a call that finds room or a message reads
	 * no clock. -EAGAIN sends the call on to send or recv (which try
	 * again); any other result is the call's. NULL: none. */
	int (*try_send)(pt_chan *chan, const void *buf, size_t len);
	int (*try_recv)(pt_chan *chan, void *buf, size_t cap, size_t *len);
	int (*try_reserve)(pt_chan *chan, size_t len, struct pt_chan_msg *msg);
	int (*try_peek)(pt_chan *chan, struct pt_chan_msg *msg);
	int (*reserve)(pt_chan *chan, size_t len, struct pt_chan_msg *msg,
		       const struct pt__wait *wait);
	int (*commit)(pt_chan *chan, struct pt_chan_msg *msg);
	int (*peek)(pt_chan *chan, struct pt_chan_msg *msg,
		    const struct pt__wait *wait);
	int (*release)(pt_chan *chan, struct pt_chan_msg *msg);
	int (*close)(pt_chan *chan);
	void (*destroy)(pt_chan *chan);
};

struct pt_chan {
	const struct pt__chan_ops *ops;
	struct pt_chan_opts opts; /* defaults filled in */
	bool shared; /* usable across fork (kind != PT_KIND_THREAD) */
	void *impl;  /* the transport's state */

	/* kernel transports: a shared page whose flag says "closed", read
	 * by a receiver that finds nothing, so a close is seen by every
	 * process even when its wake-up marker could not be queued */
	pt_region *ctl;
	_Atomic uint32_t *closed;

	/* dead-peer detection: pidfds of the watched processes */
	int watch_fd[PT__CHAN_WATCH_MAX];
	bool watch_ended[PT__CHAN_WATCH_MAX]; /* seen dead: not polled */
	int nwatch;
	int nended;
	/* sticky once seen: one watched process dead, or with PT_CHAN_MPMC
	 * every one (the other side is all of them) */
	bool peer_dead;
	uint64_t next_check_ns; /* rate limit for the non-blocking check */
};

extern const struct pt__chan_ops pt__chan_shm_ops;
extern const struct pt__chan_ops pt__chan_pipe_ops;
extern const struct pt__chan_ops pt__chan_unix_ops;
extern const struct pt__chan_ops pt__chan_tcp_ops;
extern const struct pt__chan_ops pt__chan_seqpacket_ops;
extern const struct pt__chan_ops pt__chan_mqueue_ops;
extern const struct pt__chan_ops pt__chan_locked_ops;

/* Makes a channel over a transport outside pt_chan_create()'s table (the
 * optional PT_CHAN_MPI, src/mpi/): opts are checked as pt_chan_create()
 * checks them and the channel's transport is set to transport; then
 * ops->create(chan) runs with chan->impl pointing at arg (borrowed for the
 * call: create reads it and sets chan->impl to its own state). Returns 0
 * and sets *out, or -errno (ops->create's included) and leaves *out
 * alone. */
int pt__chan_create_ops(const struct pt_chan_opts *opts,
			enum pt_chan_transport transport,
			const struct pt__chan_ops *ops, void *arg,
			pt_chan **out);

/* --- wait.c: what every transport shares --------------------------------- */

/* How long a sleeping call sleeps at most before it looks at its watched
 * processes again: the bound on noticing a death while asleep. */
#define PT__CHAN_WATCH_SLICE_NS ((uint64_t)50 * 1000000u)

/* True once a watched process has died. With force false, looks at most
 * every few milliseconds (the check is a system call); a caller about to
 * return "nothing yet" after waiting forces it. */
bool pt__chan_peer_gone(pt_chan *chan, bool force);

/* Waits until fd has events (POLLIN or POLLOUT), a watched process dies,
 * or the wait's deadline. Returns 0 when ready, -EAGAIN (nowait),
 * -ETIMEDOUT, -EPIPE, or -errno. */
int pt__chan_poll(pt_chan *chan, int fd, short events,
		  const struct pt__wait *wait);

/* For kernel transports: maps the shared "closed" flag (pt_chan.closed).
 * Returns 0 or -errno. pt_chan_destroy() unmaps it. */
int pt__chan_ctl_create(pt_chan *chan);

/* Sets the flag: 0, or -EALREADY when it was set. */
int pt__chan_ctl_close(pt_chan *chan);

/* The flag, with acquire ordering: what the closer sent before closing is
 * in the kernel's queue by the time this returns true. */
bool pt__chan_ctl_closed(const pt_chan *chan);

/* The rest of a deadline as a poll() timeout (-1: forever). */
int pt__chan_wait_ms(const struct pt__wait *wait);

#endif
