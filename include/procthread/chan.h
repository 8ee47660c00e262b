/* procthread/chan.h - a message channel that works the same between threads
 * and between processes.
 *
 * A channel carries messages - byte strings of 0 to opts.max_msg_bytes -
 * in one direction, in order, each delivered whole and exactly once. The
 * same calls run over several transports (enum pt_chan_transport), so a
 * program, or the benchmark, can switch between them with one field. The
 * default, PT_CHAN_SHM, is a ring of fixed-size slots in a pt_region: a
 * message costs a copy in and a copy out, and no system call while both
 * sides are busy.
 *
 * Sharing a channel with a process unit (the model):
 * - create the channel, then pt_unit_spawn(): the child inherits it (the
 *   memory, the descriptors, the handle) and uses its copy of the handle;
 * - one side sends, the other receives: a channel is one-way, a round trip
 *   takes two channels. Which side is which is up to the program;
 * - each side names the process at the other end with pt_chan_watch():
 *   the parent watches pt_unit_pid(unit), the child the parent's pid,
 *   taken with getpid() before the spawn and passed in the unit's argument.
 *   Not getppid(): a unit forked by the fork-server (procthread/forkserver.h)
 *   is the server's child, so its getppid() is the server. Once a watched
 *   process has died, calls that would wait return -EPIPE within 100 ms;
 *   what it finished sending is still delivered first, what it left half
 *   written never is;
 * - each process destroys its own copy of the handle (or simply exits).
 * Watches are per process and inherited by children spawned later.
 *
 * Concurrency: by default a channel has a single producer and a single
 * consumer (SPSC): at any time at most one thread in one process sends, and
 * one receives (the sides may be two threads of one process). PT_CHAN_MPMC
 * allows any number of each, for PT_CHAN_SHM, PT_CHAN_LOCKED,
 * PT_CHAN_SEQPACKET and PT_CHAN_MQUEUE; the stream transports (PIPE, UNIX,
 * TCP) refuse it with -ENOTSUP, as a byte stream cannot be shared by two
 * readers without a lock around each message.
 *
 * A dead member of an MPMC channel (a process killed, say by kill -9,
 * while others of its side live) does not end the channel: the others go
 * on. What it was in the middle of is lost, nothing else: on PT_CHAN_SHM,
 * the message each of its threads was sending (from the claim of a slot
 * to its publish, or a pt_chan_reserve() not yet committed) or receiving
 * (from the claim to the copy-out, or a pt_chan_peek() not yet released)
 * is skipped, at most one per thread of it inside such a call; the slot
 * is taken back by the first member that finds it in its way once the
 * death is visible (a pidfd says the process has ended, whether reaped or
 * not), which a waiting call looks for whenever a held slot is in its
 * way: before it sleeps, and every 50 ms while such a slot keeps it
 * asleep. The kernel transports (SEQPACKET, MQUEUE) lose at most the
 * message a dead receiver had taken. Members must share one PID
 * namespace. With watches, the other side of an MPMC channel ends
 * (-EPIPE) only once every watched process has died (pt_chan_watch()).
 *
 * Closing: pt_chan_close() ends the channel for everyone. Receivers drain
 * what was sent before it, then get -ESHUTDOWN; senders get -ESHUTDOWN at
 * once.
 *
 * Timeouts are in milliseconds: -1 waits forever, 0 does not wait (the call
 * then returns -EAGAIN rather than -ETIMEDOUT). A channel in shared memory
 * is never trusted: whatever the other side could have written is loaded
 * once, checked against bounds this process keeps, and a violation returns
 * -EBADMSG, never an out-of-bounds access.
 *
 * All calls return 0 on success and a negative errno value on failure; see
 * procthread/error.h.
 */
#ifndef PROCTHREAD_CHAN_H
#define PROCTHREAD_CHAN_H

#include <procthread/common.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_chan pt_chan; /* opaque; made by pt_chan_create() */

enum pt_chan_transport {
	PT_CHAN_SHM = 0,   /* the shared-memory ring (default) */
	PT_CHAN_PIPE,	   /* pipe(2), length-prefixed messages */
	PT_CHAN_UNIX,	   /* UNIX stream socketpair, length-prefixed */
	PT_CHAN_SEQPACKET, /* UNIX SOCK_SEQPACKET socketpair */
	PT_CHAN_MQUEUE,	   /* POSIX message queue, unlinked at once */
	PT_CHAN_TCP,	   /* TCP over loopback, TCP_NODELAY */
	PT_CHAN_LOCKED,	   /* mutex and condition variable; threads only */
	/* MPI messages between two ranks: made by pt_mpi_chan_create() of
	 * the optional procthread_mpi library (procthread/mpi.h), never by
	 * pt_chan_create(); outside the count below. */
	PT_CHAN_MPI = 16,
};
/* The transports pt_chan_create() makes: 0 .. PT_CHAN_TRANSPORT_COUNT-1. */
#define PT_CHAN_TRANSPORT_COUNT 7

/* pt_chan_opts.flags */
#define PT_CHAN_MPMC 0x1u /* many producers and many consumers */

/* pt_chan_opts.spin_ns: spin until the call's timeout, never sleep. With
 * no sleeper to wake, an SPSC ring then publishes each message without
 * the wake-up protocol: the fastest round trip, at a CPU spinning for as
 * long as each side waits. */
#define PT_CHAN_SPIN_FOREVER UINT64_MAX
/* pt_chan_opts.spin_ns: sleep at once, costing no CPU while waiting. */
#define PT_CHAN_SPIN_NEVER (UINT64_MAX - 1)
/* pt_chan_opts.spin_ns: adaptive, the default - spin for
 * pt_chan_adaptive_spin_ns(), then sleep. */
#define PT_CHAN_SPIN_ADAPTIVE 0

/* The largest opts.max_msg_bytes. What a transport can really carry may be
 * less; pt_chan_create() checks it and refuses more with -EMSGSIZE (or,
 * for memory, -EINVAL/-ENOMEM), so a channel it made carries messages of
 * max_msg_bytes:
 * - SHM, LOCKED: PT_CHAN_MSG_MAX (capacity * max_msg_bytes of memory);
 * - PIPE, UNIX, TCP: PT_CHAN_MSG_MAX (framed on a byte stream);
 * - SEQPACKET: what the kernel sends as one packet, less one byte (the
 *   end marker is one byte longer than any message): 4,263,615 bytes on
 *   Linux 6 x86-64 with 4 KiB pages, and without CAP_NET_ADMIN at most
 *   about net.core.wmem_max (the send buffer must hold one);
 * - MQUEUE: fs.mqueue.msgsize_max (8192 by default) without
 *   CAP_SYS_RESOURCE, else 16 MiB (the kernel's HARD_MSGSIZEMAX). */
#define PT_CHAN_MSG_MAX ((size_t)64 << 20)

struct pt_chan_opts {
	size_t size; /* set by PT_CHAN_OPTS(), so the struct can grow */
	enum pt_chan_transport transport; /* default PT_CHAN_SHM */
	/* Who will use the channel. 0 or PT_KIND_PROCESS: threads and processes
	 * (the memory and descriptors survive fork); PT_KIND_THREAD: threads of
	 * this process only, required by PT_CHAN_LOCKED. */
	enum pt_kind kind;
	size_t max_msg_bytes; /* largest message; 0: 4096 */
	/* Messages that may be in flight, sent and not yet received; 0: the
	 * transport's default (64 for the ring). The ring rounds it up to a
	 * power of two; kernel transports treat it as a hint. */
	uint32_t capacity;
	unsigned flags; /* PT_CHAN_MPMC */
	/* Before sleeping, a waiting call spins this long re-checking the
	 * ring (PT_CHAN_SHM only). 0 (PT_CHAN_SPIN_ADAPTIVE, the default):
	 * about as long as a sleep and a wake-up cost on this machine, so a
	 * peer that answers at once is met at spinning speed and one that
	 * answers late costs little more than sleeping;
	 * PT_CHAN_SPIN_NEVER: sleep at once, costing no CPU while waiting;
	 * PT_CHAN_SPIN_FOREVER: never sleep. A spin that goes on offers its
	 * CPU to other tasks now and then (sched_yield()), so a peer queued
	 * on the same CPU can answer. */
	uint64_t spin_ns;
};
#define PT_CHAN_OPTS(...)                                                      \
	((struct pt_chan_opts){ .size = sizeof(struct pt_chan_opts),           \
				__VA_ARGS__ })

/* How long an adaptive wait (PT_CHAN_SPIN_ADAPTIVE) spins before it
 * sleeps: the median time one thread takes to wake another through a
 * futex on this machine, from 1 to 100 us, measured the first time it is
 * needed in a process (a millisecond or two, with two threads of its own
 * pinned to two different CPUs of the process's mask when it has two;
 * the caller's affinity is not changed) and kept. pt_chan_create() of a ring
 * measures it, so a process unit spawned after the channel inherits the figure.
 * Thread-safe. */
PT_API uint64_t pt_chan_adaptive_spin_ns(void);

/* Makes a channel. Returns 0 and sets *out, or -errno and leaves *out
 * alone: -EINVAL for NULL arguments, an opts->size of 0, an unknown
 * transport, kind or flag, or max_msg_bytes above PT_CHAN_MSG_MAX;
 * -ENOTSUP for PT_CHAN_LOCKED with a kind other than PT_KIND_THREAD, or
 * PT_CHAN_MPMC on a stream transport; -ENOMEM, -EMFILE; -EMSGSIZE when
 * the transport cannot carry messages of max_msg_bytes (PT_CHAN_MSG_MAX
 * above: the system's queue limits for PT_CHAN_MQUEUE, the kernel's packet
 * and buffer limits for PT_CHAN_SEQPACKET);
 * -ENOTSUP for PT_CHAN_MPI (made by pt_mpi_chan_create() only).
 * The caller owns *out and frees it with pt_chan_destroy(). Thread-safe;
 * create before pt_unit_spawn() to share with a process unit. */
PT_API int pt_chan_create(const struct pt_chan_opts *opts, pt_chan **out);

/* Treats the death of process pid as the end of the other side: once it
 * has died, a call that finds nothing to do returns -EPIPE instead of
 * waiting (within 100 ms for a call already waiting). With PT_CHAN_MPMC
 * the other side is every watched process: -EPIPE once all of them have
 * died, so a side that watches its peers survives the death of some of
 * them. Uses a pidfd, so a
 * recycled pid is never mistaken. Up to 8 processes per channel handle.
 * Returns 0; -EINVAL for a NULL chan or pid <= 0 or the caller's own pid;
 * -ESRCH when pid does not exist (it may have died already: treat as
 * -EPIPE); -ENOSPC when 8 are watched. Not thread-safe against calls on
 * the same handle: watch before starting to use it. */
PT_API int pt_chan_watch(pt_chan *chan, int pid);

/* Sends len bytes from buf, waiting up to timeout_ms for room. Returns 0;
 * -EMSGSIZE when len > max_msg_bytes; -EAGAIN (timeout 0) or -ETIMEDOUT
 * when no room came; -EPIPE when a watched process died; -ESHUTDOWN once
 * the channel is closed; -EINVAL for a NULL chan, or a NULL buf with len > 0;
 * -EBADMSG when the shared memory was found corrupted; -ENOMEM (stream
 * transports, for the room to keep a message in part, below). The bytes
 * are copied. The timeout is kept on every transport, and a timeout of 0
 * never waits. Stream transports (PIPE, UNIX, TCP): a message the kernel
 * took in part when the time ran out is kept in this handle, rest and
 * all, and the call returns 0: it is sent, as if the kernel's buffer were
 * larger by that much. The handle's next send, or pt_chan_close(), writes
 * the rest first; a send that cannot do so in its own time returns -EAGAIN
 * or -ETIMEDOUT with nothing of its own message written. At most one
 * message is kept so; pt_chan_destroy() drops it, so close (or send again)
 * before destroying. A receiver never sees a torn or interleaved frame.
 * Not thread-safe: one thread sends at a time (SPSC), any number with
 * PT_CHAN_MPMC (see Concurrency above); not concurrently with
 * pt_chan_destroy() on the handle. */
PT_API int pt_chan_send(pt_chan *chan, const void *buf, size_t len,
			int timeout_ms);

/* Receives the next message into buf (cap bytes), waiting up to timeout_ms
 * for one, and sets *len. Returns 0; -EMSGSIZE when the message is longer
 * than cap (it stays in the channel; *len is set to its length; with
 * PT_CHAN_MPMC on SEQPACKET and MQUEUE a cap below max_msg_bytes is
 * refused so, before anything is taken, and *len is max_msg_bytes);
 * -EAGAIN (timeout 0) or -ETIMEDOUT; -ESHUTDOWN after pt_chan_close() once
 * everything sent before it was received; -EPIPE when a watched process
 * died and nothing complete is left; -EBADMSG when the shared memory or the
 * stream was found corrupted; -EINVAL for NULL arguments; -ENOMEM (stream
 * transports, for the room to keep a message in part, below). The timeout
 * is kept on every transport: on a stream transport, a call that times
 * out in the middle of a message keeps the part it read in this handle,
 * and the next call resumes it, so the message arrives whole. A writer
 * that died in the middle of a message leaves it torn: -EPIPE when that
 * writer is watched, else -ETIMEDOUT for ever (the receiver holds a
 * write end of the stream too, so it sees no end of file). Not thread-safe:
 * one thread receives at a time (SPSC), any number with PT_CHAN_MPMC (see
 * Concurrency above); not concurrently with pt_chan_destroy() on the
 * handle. */
PT_API int pt_chan_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
			int timeout_ms);

/* pt_chan_send() with a timeout of 0: -EAGAIN when it would wait; it never
 * waits, on any transport. Not thread-safe: a send, as pt_chan_send(). */
PT_API int pt_chan_try_send(pt_chan *chan, const void *buf, size_t len);

/* pt_chan_recv() with a timeout of 0: -EAGAIN when it would wait; it never
 * waits, on any transport. Not thread-safe: a receive, as pt_chan_recv(). */
PT_API int pt_chan_try_recv(pt_chan *chan, void *buf, size_t cap, size_t *len);

/* A message being written or read in place (zero-copy, PT_CHAN_SHM only).
 * Filled by the library; the caller only reads data and len, and sets len
 * before pt_chan_commit(). */
struct pt_chan_msg {
	void *data;   /* the message bytes, in the ring */
	size_t len;   /* its length (commit: the length to publish) */
	uint64_t pos; /* the slot; library use */
};

/* Reserves room for a message of up to len bytes in the ring, waiting up
 * to timeout_ms, and points msg->data at it (msg->len = len). The caller
 * writes the message there, then publishes it with pt_chan_commit(). Until
 * then no receiver sees it, and a sender that dies leaves it unseen. SPSC:
 * one reservation at a time, and no pt_chan_send() in between. Returns 0,
 * -ENOTSUP for a transport other than PT_CHAN_SHM, else as pt_chan_send().
 * Not thread-safe: a send, as pt_chan_send(). */
PT_API int pt_chan_reserve(pt_chan *chan, size_t len, struct pt_chan_msg *msg,
			   int timeout_ms);

/* Publishes a reserved message with msg->len bytes (at most
 * max_msg_bytes). Returns 0, -EINVAL for a msg not from pt_chan_reserve()
 * or a len above max_msg_bytes. Never waits. Not thread-safe: the end of
 * the send pt_chan_reserve() began, by the thread that reserved. */
PT_API int pt_chan_commit(pt_chan *chan, struct pt_chan_msg *msg);

/* Takes the next message without copying it: waits up to timeout_ms, then
 * points msg->data at it in the ring and sets msg->len. The bytes stay
 * valid until pt_chan_release(); a hostile sender could still change them,
 * copy what must not change. SPSC: one message at a time. Returns 0,
 * -ENOTSUP for a transport other than PT_CHAN_SHM, else as
 * pt_chan_recv(). Not thread-safe: a receive, as pt_chan_recv(). */
PT_API int pt_chan_peek(pt_chan *chan, struct pt_chan_msg *msg, int timeout_ms);

/* Gives a peeked message's slot back to senders. Returns 0, or -EINVAL
 * for a msg not from pt_chan_peek(). Never waits. Not thread-safe: the end
 * of the receive pt_chan_peek() began, by the thread that peeked. */
PT_API int pt_chan_release(pt_chan *chan, struct pt_chan_msg *msg);

/* Closes the channel for every side and process: see the top of this file.
 * Call it on a sending side, after its last send. Wakes every waiter. On a
 * stream transport it first writes the rest of a message this handle keeps
 * in part (pt_chan_send()), waiting for the receiver to make room: only a
 * watched process's death ends that wait.
 * Returns 0, -EALREADY when it was closed before, -EINVAL for NULL.
 * Thread-safe (once only: the others get -EALREADY), also while other
 * threads send or receive; but on a stream transport, where it writes what
 * the handle keeps, not concurrently with a send on the same handle, and
 * never concurrently with pt_chan_destroy() on it. */
PT_API int pt_chan_close(pt_chan *chan);

/* Frees this process's handle: unmaps, closes descriptors, stops watching.
 * It does not close the channel for the other side (pt_chan_close() does),
 * and drops the rest of a message a stream handle keeps in part;
 * the other side, if it watches this process, sees -EPIPE once this
 * process has ended. NULL does nothing. Not thread-safe: no other call may
 * be in flight on the handle, or follow. */
PT_API void pt_chan_destroy(pt_chan *chan);

/* The options the channel was made with, defaults filled in (the ring's
 * capacity rounded up). Returns 0 or -EINVAL. Thread-safe, but not
 * concurrently with pt_chan_destroy() on the same handle. */
PT_API int pt_chan_get_opts(const pt_chan *chan, struct pt_chan_opts *opts);

/* Using a channel in a process that did not inherit it. A unit forked by
 * the fork-server (procthread/forkserver.h) is a copy of the program from
 * before the channel existed, so it cannot use the handle it would have
 * inherited; it gets a ticket instead: plain bytes to put in the unit's
 * argument (pt_unit_opts.arg_len), naming one descriptor to hand over at
 * the same number (pt_unit_opts.pass_fds). PT_CHAN_SHM only. */
struct pt_chan_ticket {
	uint64_t magic;
	uint64_t max_msg_bytes;
	uint64_t spin_ns;
	uint64_t region_bytes;
	uint32_t capacity;
	uint32_t flags;
	int32_t fd; /* the channel's memory: pass it at this number */
	int32_t transport;
};

/* Fills *ticket for chan. Returns 0; -ENOTSUP for a transport other than
 * PT_CHAN_SHM or a channel made for PT_KIND_THREAD; -EINVAL for NULL. The
 * descriptor stays the channel's: valid while chan lives. Thread-safe, but
 * not concurrently with pt_chan_destroy() on the same handle. */
PT_API int pt_chan_make_ticket(const pt_chan *chan,
			       struct pt_chan_ticket *ticket);

/* In the receiving process: a new handle on the ticket's channel, mapping
 * its own copy of the memory (the ticket's fd is duplicated, not taken).
 * Returns 0 and sets *out; -EBADMSG when the ticket or the memory behind
 * its descriptor is not such a channel (checked against the memfd's seals
 * and the ring's header, never trusted); -EBADF for a closed fd; -EINVAL
 * for NULL; -ENOMEM. The caller owns *out (pt_chan_destroy()); watches are
 * per handle and start empty. Thread-safe. */
PT_API int pt_chan_from_ticket(const struct pt_chan_ticket *ticket,
			       pt_chan **out);

/* "shm", "pipe", "unix", "seqpacket", "mqueue", "tcp", "locked", "mpi";
 * "unknown" otherwise. Static strings. Thread-safe and async-signal-safe. */
PT_API const char *pt_chan_transport_name(enum pt_chan_transport transport);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_CHAN_H */
