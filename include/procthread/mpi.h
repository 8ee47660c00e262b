/* procthread/mpi.h - channels between MPI ranks, and the serving side of
 * a pool of ranks.
 *
 * Optional: this header and libprocthread_mpi exist when procthread was
 * built with MPI (Open MPI: `scripts/bootstrap.sh --optional`); the rest of
 * procthread never depends on them. Link with procthread_mpi, which brings
 * libprocthread and MPI along.
 *
 * Processes share nothing, so they need not share a machine: a program
 * written against pt_chan_* runs unchanged between threads, between
 * processes and, with PT_CHAN_MPI, between MPI ranks on one host or many.
 *
 * MPI itself: the program initialises and finalises MPI (MPI_Init_thread),
 * and makes every procthread MPI call between the two. A channel calls MPI
 * from the thread that calls it, so when more than one thread of a rank
 * makes MPI calls (the two sides of a channel in two threads, or a pool
 * next to the program's own MPI calls), MPI must have been initialised with
 * MPI_THREAD_MULTIPLE, which Open MPI provides.
 *
 * Rank failure: see "When a rank dies" at the end of this file.
 */
#ifndef PROCTHREAD_MPI_H
#define PROCTHREAD_MPI_H

#include <procthread/common.h>
#include <procthread/chan.h>
#include <procthread/pool.h>

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- PT_CHAN_MPI ---------------------------------------------------------
 *
 * A one-way channel between two ranks of a communicator: each of the two
 * ranks creates its end with the same comm and tag, naming the other as
 * peer_rank, and one side sends while the other receives, with the
 * ordinary pt_chan_send(), pt_chan_recv(), pt_chan_try_*(),
 * pt_chan_close() and pt_chan_destroy(). Creating an end is local (no
 * collective call, no message), so any two ranks may open channels at any
 * time. A rank may name itself as peer: both ends are then one handle.
 *
 * What holds as for every transport: messages arrive in order, whole and
 * once; -EMSGSIZE for a message longer than max_msg_bytes (send) or than
 * the buffer (recv: the message stays, *len says its length); timeouts;
 * -ESHUTDOWN after a close from either end, once what the sender had sent
 * before closing was received.
 *
 * How: a message is one MPI message on tag; the channel also uses tag + 1
 * for its control messages (credits, close). Use a tag, or a communicator,
 * for nothing else while the channel lives, and a fresh tag for a new
 * channel: messages left unreceived in a destroyed channel stay queued in
 * MPI. A send copies the bytes and posts MPI_Isend; at most opts.capacity
 * messages (0: 64) are sent and not yet received, counted by credits the
 * receiver sends back, so a send finds "no room" (-EAGAIN, -ETIMEDOUT)
 * exactly when the receiver is that far behind. MPI has no descriptor to
 * sleep on: a waiting call polls (MPI_Iprobe, MPI_Test), first without
 * pause for opts.spin_ns (PT_CHAN_SPIN_FOREVER: always), then yielding the
 * CPU between 16 polls, then sleeping between polls, 1 us at first and
 * doubling up to 1 ms: so a message that arrives while a call sleeps is
 * seen within about 1 ms. Open MPI
 * progresses large messages over TCP only inside MPI calls: a sender that
 * stops calling in to compute may delay the delivery of its last large
 * message (shared memory on one host needs no such progress).
 *
 * Dead peers: MPI gives no sign that a peer rank died (see below).
 * pt_chan_watch() works as for any channel when the peer is a process of
 * this host whose pid the program knows, e.g. from an MPI_Allgather of
 * getpid(): then -EPIPE as documented in procthread/chan.h.
 *
 * Not supported: PT_CHAN_MPMC (-ENOTSUP), the zero-copy calls (-ENOTSUP),
 * tickets and fork: a forked child cannot use its parent's MPI.
 */

/* The largest tag pt_mpi_chan_create() accepts is the communicator's
 * MPI_TAG_UB - 1 (at least 32766): the channel also uses tag + 1. */

/* Makes this rank's end of a PT_CHAN_MPI channel with peer_rank of comm.
 * opts as for pt_chan_create() (its transport field is ignored; kind,
 * max_msg_bytes, capacity, spin_ns are used). Returns 0 and sets *out, or
 * -errno and leaves *out alone: -EINVAL for NULL arguments, an opts->size
 * of 0, comm MPI_COMM_NULL, a peer_rank outside comm, a tag outside 0 ..
 * MPI_TAG_UB - 1, max_msg_bytes above INT_MAX or PT_CHAN_MSG_MAX; -ENOTSUP
 * for PT_CHAN_MPMC; -ENOTCONN when MPI is not initialised or already
 * finalised; -ENOMEM. The caller owns *out (pt_chan_destroy(), before
 * MPI_Finalize()). comm is borrowed: it must outlive the channel.
 * Thread-safe where MPI is (MPI_THREAD_MULTIPLE); not fork-safe: a forked
 * child cannot use its parent's MPI. */
PT_API int pt_mpi_chan_create(MPI_Comm comm, int peer_rank, int tag,
			      const struct pt_chan_opts *opts, pt_chan **out);

/* --- A pool of ranks -------------------------------------------------------
 *
 * The pool of procthread/pool.h with .kind = PT_KIND_MPI: rank 0 of a
 * communicator creates it with pt_pool_create() (opts.mpi_comm points to
 * the communicator) and uses it through pt_pool_* and pt_future_* like any
 * pool; every other rank serves it with pt_mpi_pool_serve() until the
 * owner shuts it down. What differs from the other kinds is written in
 * procthread/pool.h ("MPI ranks").
 *
 * How: the pool works on its own duplicate of the communicator (so its
 * messages never meet the program's). A thread of the owner, the engine,
 * makes every MPI call of the pool: it sends each serving rank up to
 * opts.depth tasks ahead (so a rank never waits for its next task), keeps
 * a receive posted for each rank's replies, and polls with the channel's
 * bounded back-off, capped at 100 us, while tasks are out (a serving rank
 * waits for work the same way), sleeping on a condition when none is. The
 * owner must therefore have initialised MPI with MPI_THREAD_MULTIPLE. A
 * serving rank runs one task at a time, in the order sent. */

/* In every rank of the communicator but 0: serves the PT_KIND_MPI pool that
 * rank 0 creates, running the tasks it sends, until it shuts the pool
 * down. opts gives the registry (opts->tasks, the same names in the same
 * order as the owner's), depth (checked) and spin_ns; the rest comes from
 * the owner. Returns 0 after a shutdown; the errors of pt_pool_create()
 * for PT_KIND_MPI when the start failed (in every rank alike); -EPIPE when the
 * owner, on this host, died. opts and its registry are borrowed for the call.
 * Thread-safe where MPI is (MPI_THREAD_MULTIPLE): other threads of the rank
 * may make MPI calls meanwhile, one serve per communicator at a time. */
PT_API int pt_mpi_pool_serve(MPI_Comm comm, const struct pt_pool_opts *opts);

/* --- When a rank dies -----------------------------------------------------
 *
 * What Open MPI does (4.1, as Debian 12 ships it, checked with ompi_info:
 * its MPI extensions are affinity, cuda and pcollreq; ULFM, the fault-
 * tolerance extension, is not built in): by default, when one rank ends
 * without MPI_Finalize() (killed, crashed, or exit()), mpirun aborts the
 * whole job: it kills every other rank and exits with a non-zero status
 * (the dead rank's, e.g. 137 after SIGKILL). No rank gets an error code it
 * could act on, so procthread can promise nothing beyond what the runtime
 * does: the job ends, nothing hangs, results not yet stored somewhere
 * durable are lost. (Rank 0 may see the death, below, a moment before the
 * runtime kills it; that race is the runtime's.)
 *
 * With `mpirun --enable-recovery` the other ranks go on, but MPI still
 * reports nothing: a receive from the dead rank would wait forever. Then
 * procthread watches what it can: the pool learns every rank's pid and
 * host at start-up and watches the ranks of its own host through pidfds.
 * The task a dead rank was running resolves as PT_TASK_CRASHED (how = 0)
 * or, while opts.retries allow, runs again on another rank; the tasks sent
 * ahead to it, never started, go back to the head of the queue; it gets
 * nothing more. With no rank left the pool has no worker: queued tasks
 * resolve as PT_TASK_NO_WORKER (error -EPIPE) and submit returns -ECHILD.
 * A rank on another host
 * cannot be watched: a task sent there ends only through task_timeout_ms.
 * A serving rank likewise returns -EPIPE from pt_mpi_pool_serve() when the
 * owner, on its host, died. A PT_CHAN_MPI channel reports -EPIPE only when
 * told whom to watch (pt_chan_watch()). MPI_Finalize() in the survivors
 * may then wait for the dead rank (seen here, rarely): end them without it
 * once their results are safe. mpirun exits 0 although a rank was killed:
 * judge the run by its results, not by the status.
 */

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_MPI_H */
