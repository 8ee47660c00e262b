/* procthread/error.h - error codes and their names.
 *
 * Every fallible call returns 0 (or a count) on success and a negative errno
 * value on failure; the library never sets errno as part of its API, never
 * prints and never exits. The meanings follow errno's where one fits:
 *   -EINVAL     a bad argument (NULL, unknown enum value, zero-size opts)
 *   -EAGAIN     the call would block (non-blocking variants)
 *   -ETIMEDOUT  a timeout passed
 *   -EPIPE      the peer is gone
 *   -ENOTSUP    the operation does not exist for this kind of unit
 *   -ENOMEM     out of memory
 *   -EMSGSIZE   a message or result larger than the configured maximum
 *   -EBADMSG    corrupted shared memory was detected
 * procthread adds no codes of its own so far.
 */
#ifndef PROCTHREAD_ERROR_H
#define PROCTHREAD_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* A description of err, negative (as the library returns it) or positive.
 * The string is static: never freed, never changed. Thread-safe. */
const char *pt_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_ERROR_H */
