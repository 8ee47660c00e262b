/* procthread/error.h - error codes and their names.
 *
 * Every fallible call returns 0 (or a count) on success and a negative errno
 * value on failure; the library never sets errno as part of its API, never
 * prints and never exits, and never aborts on a caller's error. procthread
 * adds no codes of its own: each meaning below is errno's, and each header
 * says which of them its calls return, and when.
 *   -EINVAL       a bad argument: NULL, an unknown enum value, a zero or
 *                 absurd opts size, a value out of range, a combination
 *                 that cannot work (a bare pointer through the fork-server)
 *   -EAGAIN       the call would block (timeout 0, try_ variants, a full
 *                 queue with PT_POOL_WHEN_FULL_FAIL); also out of
 * processes/threads -ETIMEDOUT    a timeout passed (on every transport,
 * mid-frame too) -EPIPE        the peer is gone: a channel's other side, a
 * fork-server that died with no twin to take over -ESHUTDOWN    the channel was
 * closed by its other side, or the pool is shutting down -EMSGSIZE     a
 * message, argument or result larger than the maximum configured or than the
 * transport can carry -EBADMSG      corrupted shared memory, a descriptor or
 * file that is not what it claims (an unsealed memfd, a region of no whole
 *                 pages)
 *   -ENOMEM       out of memory
 *   -ENOTSUP      the operation does not exist for this kind or transport
 *   -EALREADY     done already: a future resolved, a pool shut down, a
 *                 fork-server started
 *   -EBUSY        in use: a fork-server with units alive, a supervisor
 *                 child that runs
 *   -ECANCELED    pt_supervisor_stop() of a supervisor that had given up
 *   -ECHILD       a child died before its set-up ended, or was reaped
 *                 behind the library's back; pool submit and shutdown when
 *                 no worker process can be started (pool.h)
 *   -EDEADLK      a supervisor call made from its own event callback
 *   -EEXIST       a supervisor child of that name exists
 *   -ENOENT       no such named region, supervisor child or MPI task
 *   -ENOTCONN     PT_UNIT_FORK_SERVER with no fork-server running
 *   -ESRCH        no such process or server, or a supervisor that gave up;
 *                 pt_pool_recycle_worker() outside a task
 *   -EACCES       a named region of another user, or open to others
 *   -ENOSPC       /dev/shm full (named regions); 8 pids watched already
 *   -EBADF        a descriptor to pass that is not open
 *   -ENAMETOOLONG a generated region name that does not fit
 *   -EIO          a sandbox set-up report or MPI message cut short
 *   -EPROTO       MPI ranks whose task registries differ
 *   -ENOTRECOVERABLE  pool submit once the pool's worker initializer
 *                 failed: the pool is broken (pool.h)
 * Codes of the system calls underneath are passed on as they are where
 * they say more than the above: -EMFILE and -ENFILE (out of descriptors),
 * -EPERM, -ENOSYS (a kernel without pidfds), and the socket errors of
 * pt_region_send_fd()/recv_fd().
 */
#ifndef PROCTHREAD_ERROR_H
#define PROCTHREAD_ERROR_H

#include <procthread/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A description of err, negative (as the library returns it) or positive.
 * The string is static: never freed, never changed, never translated.
 * Thread-safe and async-signal-safe (no buffer is formatted). */
PT_API const char *pt_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_ERROR_H */
