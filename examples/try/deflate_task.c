/* deflate_task.c - a task for `procthread try`: compresses its argument
 * with zlib (level 6, the zlib default) and hands back the compressed
 * bytes. Work that is all CPU and private memory, as a compression
 * server's is.
 *
 *   procthread try build/examples/try/deflate_task.so:deflate_task \
 *           --size 64K
 */
#include <procthread/pool.h>

#include <zlib.h>

int deflate_task(const void *arg, size_t len, struct pt_task_out *out);

int deflate_task(const void *arg, size_t len, struct pt_task_out *out)
{
	uLongf packed = (uLongf)out->cap;

	if (compressBound((uLong)len) > out->cap)
		return 1; /* no room for the worst case: raise --result-max */
	if (compress2(out->data, &packed, arg, (uLong)len, 6) != Z_OK)
		return 2;
	out->len = packed;
	return 0;
}
