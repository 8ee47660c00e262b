/* deflate.h - the pool suite's real work: a text-like corpus
 * compressed in chunks with zlib through a pool (bench/workloads/deflate.c),
 * beside pigz on the same bytes. */
#ifndef TOOL_BENCH_WORKLOADS_DEFLATE_H
#define TOOL_BENCH_WORKLOADS_DEFLATE_H

#include <procthread/pool.h>

#include <stdbool.h>
#include <stddef.h>

struct bench_ctx;

/* The corpus bytes a run compresses: 4 MiB in the quick profile, 64 MiB
 * otherwise. */
size_t bench_deflate_len(const struct bench_ctx *ctx);

/* False when built without zlib: the case is then a note. */
bool bench_deflate_available(void);

/* The bytes of one task's argument (a chunk), and the most its result
 * (the chunk deflated) can take: what the pool must be made for. */
size_t bench_deflate_chunk(void);
size_t bench_deflate_result_max(void);

/* The corpus of len bytes (made once, from a fixed seed). Returns 0 or
 * -ENOMEM; -ENOTSUP without zlib. */
int bench_deflate_corpus(size_t len, const unsigned char **data);

/* Compresses the len-byte corpus through pool, chunk by chunk; with check,
 * inflates every result back and compares it with its chunk. Returns 0,
 * -EBADMSG for a result that does not inflate to its chunk, or the pool's
 * -errno. */
int bench_deflate_run(pt_pool *pool, size_t len, bool check);

#endif
