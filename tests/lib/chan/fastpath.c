/* test_chan_fastpath - a channel call that can be served at once reads
 * no clock: the shared-memory ring's send, receive, reserve and peek try
 * the ring before they turn a timeout into a deadline (issue 15: on a VM
 * a clock read is a good part of a cross-CPU round trip). A call that has
 * to wait still keeps its timeout.
 *
 * The library's calls to clock_gettime reach the wrapper below through
 * the linker (-Wl,--wrap, set for this program in tests/CMakeLists.txt),
 * which counts them. */
#include <procthread.h>

#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

static _Atomic unsigned clock_reads;

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	atomic_fetch_add(&clock_reads, 1);
	return __real_clock_gettime(id, ts);
}

static pt_chan *make(uint64_t spin_ns, unsigned flags)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.kind = PT_KIND_THREAD, .max_msg_bytes = 16,
			     .capacity = 2, .spin_ns = spin_ns, .flags = flags);
	pt_chan *chan = NULL;

	PT_ASSERT_OK(pt_chan_create(&opts, &chan));
	return chan;
}

/* The wait modes, one per loop index. */
static const struct wait_case {
	const char *name;
	uint64_t spin_ns;
} wait_cases[] = {
	{ "adaptive (the default)", PT_CHAN_SPIN_ADAPTIVE },
	{ "spin", PT_CHAN_SPIN_FOREVER },
	{ "block", PT_CHAN_SPIN_NEVER },
};
#define N_WAIT_CASES (int)(sizeof(wait_cases) / sizeof(wait_cases[0]))

START_TEST(ready_calls_read_no_clock)
{
	struct pt_chan_msg msg;
	pt_chan *chan;
	char buf[16];
	size_t len;

	pt_test_case(wait_cases[_i].name);
	chan = make(wait_cases[_i].spin_ns, 0);
	atomic_store(&clock_reads, 0);
	for (int i = 0; i < 100; i++) {
		PT_ASSERT_OK(pt_chan_send(chan, "ping", 5, 1000));
		PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000));
		ck_assert_uint_eq(len, 5);
		PT_ASSERT_OK(pt_chan_send(chan, "pong", 5, -1));
		PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, -1));
		PT_ASSERT_OK(pt_chan_reserve(chan, 3, &msg, 1000));
		memcpy(msg.data, "zc", 3);
		PT_ASSERT_OK(pt_chan_commit(chan, &msg));
		PT_ASSERT_OK(pt_chan_peek(chan, &msg, 1000));
		ck_assert_str_eq(msg.data, "zc");
		PT_ASSERT_OK(pt_chan_release(chan, &msg));
	}
	ck_assert_uint_eq(atomic_load(&clock_reads), 0);
	pt_chan_destroy(chan);
}
END_TEST

/* The other side of the promise: a call that must wait keeps its
 * timeout, and a full ring or an empty one still says so. */
START_TEST(waiting_calls_keep_their_timeout)
{
	pt_chan *chan = make(PT_CHAN_SPIN_NEVER, 0);
	struct pt_chan_msg msg;
	char buf[16];
	size_t len;

	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, 20),
		      -ETIMEDOUT);
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	PT_ASSERT_OK(pt_chan_send(chan, "a", 1, 0));
	PT_ASSERT_OK(pt_chan_send(chan, "b", 1, 0));
	PT_ASSERT_ERR(pt_chan_try_send(chan, "c", 1), -EAGAIN);
	PT_ASSERT_ERR(pt_chan_send(chan, "c", 1, 20), -ETIMEDOUT);
	PT_ASSERT_ERR(pt_chan_reserve(chan, 1, &msg, 20), -ETIMEDOUT);
	ck_assert_uint_gt(atomic_load(&clock_reads), 0);
	/* a message longer than cap stays, and its length is said, on the
	 * fast path as on the long one */
	len = 0;
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, 0, &len, 20), -EMSGSIZE);
	ck_assert_uint_eq(len, 1);
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 20));
	ck_assert_int_eq(buf[0], 'a');
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 20));
	PT_ASSERT_ERR(pt_chan_peek(chan, &msg, 20), -ETIMEDOUT);
	pt_chan_destroy(chan);
}
END_TEST

/* MPMC takes the long way (its calls need this process's id) and is
 * served all the same. */
START_TEST(mpmc_is_served_the_long_way)
{
	pt_chan *chan = make(PT_CHAN_SPIN_ADAPTIVE, PT_CHAN_MPMC);
	char buf[16];
	size_t len;

	PT_ASSERT_OK(pt_chan_send(chan, "x", 2, 1000));
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000));
	ck_assert_uint_eq(len, 2);
	pt_chan_destroy(chan);
}
END_TEST

static Suite *chan_fastpath_suite(void)
{
	return PT_TEST_SUITE(
		"chan_fastpath",
		{ "fast path",
		  .once = PT_TESTS(waiting_calls_keep_their_timeout,
				   mpmc_is_served_the_long_way),
		  .for_rows = PT_TESTS(ready_calls_read_no_clock),
		  .rows = N_WAIT_CASES });
}

PT_TEST_MAIN(chan_fastpath_suite)
