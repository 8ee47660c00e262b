/* procthread/region.h - shared memory that threads and processes both see.
 *
 * A region is a length of memory mapped MAP_SHARED. By default it is backed
 * by an anonymous memfd (close-on-exec, its size sealed), so it has no name
 * anywhere: it is shared with process units by being created before
 * pt_unit_spawn() (the child inherits the mapping at the same address), and
 * with an unrelated process by passing its descriptor over a UNIX socket
 * (pt_region_send_fd() / pt_region_recv_fd()). When the last process using
 * it ends, however it ends, the kernel frees it: nothing is left behind in
 * /dev/shm after a crash.
 *
 * Named regions (PT_REGION_NAMED) are the opt-in exception, for a process
 * that can only learn a name: shm_open(O_CREAT | O_EXCL, 0600) under a fresh
 * name that pt_region_name() returns. The creator unlinks the name in
 * pt_region_destroy(); a creator killed before that leaves the name behind.
 * A named region's pages are reserved when it is made, so a full /dev/shm
 * is -ENOSPC at create rather than SIGBUS at the first write. It cannot be
 * sealed (the kernel refuses seals on shm_open's files): a process of the
 * same user can still truncate it, and an opener touching a page past the
 * new end dies of SIGBUS. Share memory with a peer you do not trust with an
 * unnamed region passed by pt_region_send_fd(): its size is sealed.
 *
 * All calls return 0 on success and a negative errno value on failure; see
 * procthread/error.h.
 */
#ifndef PROCTHREAD_REGION_H
#define PROCTHREAD_REGION_H

#include <procthread/common.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_region pt_region; /* opaque; made by pt_region_create() */

/* pt_region_create() flags. */
#define PT_REGION_NAMED 0x1u /* shm_open() under a generated name */

/* The largest region pt_region_create() makes. */
#define PT_REGION_MAX ((size_t)1 << 40)

/* Makes a zero-filled region of len bytes (rounded up to the page size),
 * mapped read-write and shared. Returns 0 and sets *out, or -errno and
 * leaves *out alone: -EINVAL for len 0 or above PT_REGION_MAX, unknown flags
 * or a NULL out; -ENOMEM, -EMFILE from the kernel; -ENOSPC when a named
 * region does not fit in /dev/shm (no name is left behind).
 * The caller owns *out and frees it with pt_region_destroy(). A process unit
 * spawned afterwards sees the same memory through its inherited copy of the
 * handle. Thread-safe. */
PT_API int pt_region_create(size_t len, unsigned flags, pt_region **out);

/* Maps the named region another process of the same effective user created
 * (its pt_region_name()). Returns 0 and sets *out; -ENOENT when no such name
 * exists; -EACCES when the file is not what pt_region_create() makes: not a
 * regular file, owned by another user (checked even for root), or open to
 * group or others (a look-alike planted with mode 0666); -EBADMSG when its
 * size is not a whole, non-zero number of pages; -EINVAL for a NULL argument
 * or a name not made by procthread. The size is not sealed: see above for
 * what a truncating owner does. The caller owns *out; destroying it never
 * unlinks the name (only its creator does). Thread-safe. */
PT_API int pt_region_open(const char *name, pt_region **out);

/* Sends the region's descriptor over the connected UNIX socket sock
 * (SCM_RIGHTS) together with its length. Returns 0, -EINVAL for a NULL
 * region, or the socket's error (-EPIPE, -EAGAIN for a non-blocking socket
 * with no room, -EBADF, -ENOTSOCK). The region stays the caller's.
 * Thread-safe. */
PT_API int pt_region_send_fd(const pt_region *region, int sock);

/* Receives one region sent by pt_region_send_fd() on sock and maps it.
 * Blocks as the socket does. Returns 0 and sets *out; -EPIPE when the
 * socket was closed first, -EBADMSG when what arrived is not a region (no
 * descriptor, a descriptor that is not a memfd with sealed size, or a
 * length that does not match), -EINVAL for a NULL out, or the socket's
 * error. The caller owns *out. Thread-safe. */
PT_API int pt_region_recv_fd(int sock, pt_region **out);

/* The region's first byte: page-aligned, valid until pt_region_destroy().
 * NULL for NULL. Thread-safe, but not concurrently with pt_region_destroy()
 * on the same region. */
PT_API void *pt_region_addr(const pt_region *region);

/* The region's length in bytes (a multiple of the page size); 0 for NULL.
 * Thread-safe, but not concurrently with pt_region_destroy() on the same
 * region. */
PT_API size_t pt_region_len(const pt_region *region);

/* The region's name (beginning with '/'), or NULL for an unnamed region.
 * Owned by the region. Thread-safe, but not concurrently with
 * pt_region_destroy() on the same region. */
PT_API const char *pt_region_name(const pt_region *region);

/* The region's descriptor (close-on-exec), owned by the region: do not
 * close it. Returns it, or -EINVAL for NULL. Thread-safe, but not
 * concurrently with pt_region_destroy() on the same region. */
PT_API int pt_region_fd(const pt_region *region);

/* Unmaps the region and closes its descriptor; a named region's creator
 * also unlinks the name (a process that inherited the handle across fork
 * does not). The memory lives on while another process maps it. NULL
 * does nothing. Not thread-safe: no other call may be in flight on the
 * region, or follow. */
PT_API void pt_region_destroy(pt_region *region);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_REGION_H */
