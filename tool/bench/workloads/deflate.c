/* deflate.c - real work for the pool suite: compressing a corpus in
 * chunks with zlib, as pigz does, through a pool of each kind, beside pigz
 * itself on the same bytes (bench/peers/pool.c).
 *
 * The corpus is made once per process from a fixed seed: words of a small
 * vocabulary in sentences, text-like and compressible about 3x at level 6.
 * A run submits every CHUNK_BYTES chunk as a task (at most IN_FLIGHT at
 * once, collected in order), each task deflating its chunk into a raw
 * deflate block of its own, and records the corpus bytes per second. The
 * first run of each case also inflates every chunk back and compares it
 * with the input: a pool that garbles results fails the case.
 *
 * Built only with zlib (Debian: zlib1g-dev); without it the case is a
 * note.
 */
#include "bench/workloads/deflate.h"

#include "bench/engine/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t bench_deflate_len(const struct bench_ctx *ctx)
{
	return bench_profile(ctx) == BENCH_QUICK ? (size_t)4 << 20
						 : (size_t)64 << 20;
}

#ifdef PT_HAVE_ZLIB
#include <zlib.h>

#define CHUNK_BYTES ((size_t)128 << 10)
#define IN_FLIGHT   16
#define LEVEL	    6

static unsigned char *corpus;
static size_t corpus_len;

static uint64_t next_random(uint64_t *state)
{
	/* xorshift64*: fixed seed, the same corpus on every machine */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

static int make_corpus(size_t len)
{
	static const char *const words[] = {
		"thread",  "process", "memory",	 "shared", "fork",  "signal",
		"channel", "ring",    "pool",	 "worker", "task",  "future",
		"crash",   "restart", "kernel",	 "page",   "table", "cache",
		"line",	   "copy",    "message", "queue",  "wait",  "spin",
		"sleep",   "wake",    "futex",	 "region", "map",   "the",
		"a",	   "of",      "to",	 "and",	   "in",    "is",
		"with",	   "for",     "as",	 "on",	   "by",    "it",
		"that",	   "when",    "each",	 "one",	   "two",   "every",
		"cost",	   "time",    "faster",	 "slower", "bytes", "round",
		"trip",	   "latency", "through", "between"
	};
	uint64_t state = 0x9e3779b97f4a7c15ull;
	size_t used = 0;

	if (corpus_len == len)
		return 0;
	free(corpus);
	corpus = malloc(len);
	corpus_len = 0;
	if (!corpus)
		return -ENOMEM;
	while (used < len) {
		uint64_t r = next_random(&state);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);
		char end = (r >> 32) % 11 == 0 ? '.' : ' ';

		for (size_t i = 0; i < n && used < len; i++)
			corpus[used++] = (unsigned char)w[i];
		if (used < len)
			corpus[used++] = (unsigned char)end;
		if (end == '.' && used < len)
			corpus[used++] = (r >> 40) % 7 ? ' ' : '\n';
	}
	corpus_len = len;
	return 0;
}

static int deflate_task(const void *arg, size_t len, struct pt_task_out *out)
{
	z_stream z = { 0 };
	int rc;

	if (deflateInit2(&z, LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)arg;
	z.avail_in = (uInt)len;
	z.next_out = out->data;
	z.avail_out = (uInt)out->cap;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -ENOBUFS;
}

static bool inflates_to(const void *packed, size_t len, const void *want,
			size_t want_len)
{
	unsigned char *buf = malloc(want_len + 1);
	z_stream z = { 0 };
	bool ok = false;

	if (!buf || inflateInit2(&z, -15) != Z_OK) {
		free(buf);
		return false;
	}
	z.next_in = (unsigned char *)packed;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)want_len + 1;
	ok = inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == want_len &&
	     !memcmp(buf, want, want_len);
	inflateEnd(&z);
	free(buf);
	return ok;
}

bool bench_deflate_available(void)
{
	return true;
}

size_t bench_deflate_chunk(void)
{
	return CHUNK_BYTES;
}

size_t bench_deflate_result_max(void)
{
	return compressBound(CHUNK_BYTES);
}

int bench_deflate_corpus(size_t len, const unsigned char **data)
{
	int rc = make_corpus(len);

	*data = corpus;
	return rc;
}

int bench_deflate_run(pt_pool *pool, size_t len, bool check)
{
	size_t chunks = (len + CHUNK_BYTES - 1) / CHUNK_BYTES;
	pt_future *f[IN_FLIGHT];
	size_t sent = 0, done = 0;
	int rc = make_corpus(len);

	while (!rc && done < chunks) {
		while (!rc && sent < chunks && sent - done < IN_FLIGHT) {
			size_t at = sent * CHUNK_BYTES;
			size_t n =
				len - at < CHUNK_BYTES ? len - at : CHUNK_BYTES;

			rc = pt_pool_submit(pool, deflate_task, corpus + at, n,
					    &f[sent % IN_FLIGHT]);
			sent += !rc;
		}
		if (done < sent) {
			pt_future *fut = f[done % IN_FLIGHT];
			size_t at = done * CHUNK_BYTES;
			size_t n =
				len - at < CHUNK_BYTES ? len - at : CHUNK_BYTES;
			struct pt_result r;
			int w = pt_future_wait(fut, -1, &r);

			if (!rc && (w || r.status != PT_TASK_OK))
				rc = w ? w : -EIO;
			if (!rc && check &&
			    !inflates_to(r.data, r.len, corpus + at, n))
				rc = -EBADMSG;
			pt_future_destroy(fut);
			done++;
		}
	}
	/* on an error, what was sent still resolves before we return */
	for (; done < sent; done++) {
		struct pt_result r;

		pt_future_wait(f[done % IN_FLIGHT], -1, &r);
		pt_future_destroy(f[done % IN_FLIGHT]);
	}
	return rc;
}

#else /* no zlib */

bool bench_deflate_available(void)
{
	return false;
}

size_t bench_deflate_chunk(void)
{
	return 0;
}

size_t bench_deflate_result_max(void)
{
	return 0;
}

int bench_deflate_corpus(size_t len, const unsigned char **data)
{
	(void)len;
	*data = NULL;
	return -ENOTSUP;
}

int bench_deflate_run(pt_pool *pool, size_t len, bool check)
{
	(void)pool;
	(void)len;
	(void)check;
	return -ENOTSUP;
}

#endif
