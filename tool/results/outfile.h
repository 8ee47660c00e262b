/* outfile.h - writing an output file without ever destroying what is
 * there. Every file the tool writes (bench --json/--csv/--html, report -o)
 * goes through here.
 *
 * What a target path gets:
 *   absent or a regular file  the whole output goes to a temporary file in
 *                             the target's directory, is flushed and
 *                             fsync()ed, and only then renamed over the
 *                             target, whose mode it takes; a failed write
 *                             (ENOSPC, EIO) leaves the previous file as it
 *                             was and removes the temporary one
 *   a symbolic link           resolved first: what it points at is written
 *                             as above, and the link stays a link
 *   a device node or a FIFO   written in place (/dev/null, /dev/stdout, a
 *                             reader at the other end): there is nothing
 *                             to rename over and nothing to keep
 *   a directory or a socket   refused
 *   "-"                       standard output
 *
 * Nothing is opened before there is something to write: the check run
 * before a benchmark looks at the path and its directory only, so a FIFO's
 * reader is not handed an early end of file and a run that writes nothing
 * creates nothing. */
#ifndef TOOL_RESULTS_OUTFILE_H
#define TOOL_RESULTS_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the whole output to out; returns 0 or -errno. */
typedef int outfile_fn(FILE *out, void *arg);

/* Checks without opening anything that path could be written as above.
 * Returns 0, or -errno (-EISDIR, -ENOTSUP for a socket, -ENOENT for a
 * missing directory, -EACCES) with a one-line message naming path in
 * err. */
int outfile_check(const char *path, char *err, size_t err_len);

/* True when a and b name one file: the same text, the same resolved path,
 * or (both existing) the same st_dev and st_ino. "-" is never a file. */
bool outfile_same(const char *a, const char *b);

/* Writes fn's output to path as described above. Returns 0, or -errno with
 * a one-line message in err that names path and says whether a previous
 * file was kept. Not thread-safe (outfile_pending() is one slot). */
int outfile_write(const char *path, outfile_fn *fn, void *arg, char *err,
		  size_t err_len);

/* The temporary file being written right now, or "" - for a signal
 * handler, which may unlink() it before the process exits. */
const char *outfile_pending(void);

#endif
