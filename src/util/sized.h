/* sized.h - reading a struct the caller sized: every options struct (and
 * struct pt_child_spec) starts with a size_t size the caller's macro set
 * to its own sizeof, so the struct can grow. An older, smaller struct
 * reads as zeros past its size; a newer, larger one is cut to what this
 * version knows. */
#ifndef PT_UTIL_SIZED_H
#define PT_UTIL_SIZED_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* A size above this is no struct of ours: a caller error. */
#define PT__SIZED_MAX 4096

/* Copies the caller's struct src (src->size bytes, the size_t at its
 * start) into dst of dst_size bytes and sets dst's size to dst_size.
 * Returns 0, or -EINVAL when src's size is below min_size (the first
 * version's fields) or above PT__SIZED_MAX; dst is then all zeros. */
static inline int pt__read_sized(void *dst, size_t dst_size, const void *src,
				 size_t min_size)
{
	size_t src_size;

	memset(dst, 0, dst_size);
	memcpy(&src_size, src, sizeof(src_size));
	if (src_size < min_size || src_size > PT__SIZED_MAX)
		return -EINVAL;
	memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
	memcpy(dst, &dst_size, sizeof(dst_size));
	return 0;
}

#endif
