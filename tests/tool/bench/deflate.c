/* test_bench_deflate - the pool suite's deflate workload: through a pool
 * of each kind, every chunk comes back deflated and inflates to its input;
 * the corpus is the same on every call and compressible as text is. */
#include "bench/workloads/deflate.h"
#include "support/test.h"
#include "support/kinds.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LEN ((size_t)1 << 20)

START_TEST(every_chunk_round_trips)
{
	struct pt_pool_opts o =
		PT_POOL_OPTS(.kind = _i, .workers = 2,
			     .max_arg_bytes = bench_deflate_chunk(),
			     .max_result_bytes = bench_deflate_result_max());
	pt_pool *pool;

	PT_ASSERT_OK(pt_pool_create(&o, &pool));
	ck_assert_int_eq(bench_deflate_run(pool, LEN, true), 0);
	/* an odd length: the last chunk is short */
	ck_assert_int_eq(bench_deflate_run(pool, LEN - 12345, true), 0);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(corpus_is_fixed_and_text_like)
{
	const unsigned char *a, *b;
	unsigned char *copy = malloc(LEN), *packed;
	uLongf packed_len = compressBound(LEN);

	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(bench_deflate_corpus(LEN, &a), 0);
	memcpy(copy, a, LEN);
	ck_assert_int_eq(bench_deflate_corpus(2 * LEN, &b), 0);
	ck_assert_int_eq(bench_deflate_corpus(LEN, &b), 0);
	ck_assert_mem_eq(copy, b, LEN); /* the same seed, the same bytes */
	packed = malloc(packed_len);
	ck_assert_ptr_nonnull(packed);
	ck_assert_int_eq(compress2(packed, &packed_len, copy, LEN, 6), Z_OK);
	/* text-like: level 6 makes it 2.5-4.5 times smaller */
	ck_assert_msg(packed_len * 5 / 2 < LEN && packed_len * 9 / 2 > LEN,
		      "%lu bytes from %zu", (unsigned long)packed_len, LEN);
	free(packed);
	free(copy);
}
END_TEST

static Suite *bench_deflate_suite(void)
{
	return PT_TEST_SUITE(
		"bench_deflate",
		{ "deflate", .once = PT_TESTS(corpus_is_fixed_and_text_like),
		  .for_kinds = PT_TESTS(every_chunk_round_trips) });
}

PT_TEST_MAIN(bench_deflate_suite)
