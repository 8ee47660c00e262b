/* test_ring - what only the shared-memory ring does: zero-copy
 * reserve/commit and peek/release, a stream between two threads under
 * every spin setting, a spinning channel between processes, and many
 * producers and consumers (also on the kernel transports that allow it).
 * test_ring_sleep has a sleeping receiver's cost, test_ring_hostile the
 * ring's layout under hostile memory and dead members.
 *
 * Loop tests run once per kind (the index is the kind) or once per row of
 * a table of named cases. */
#include <procthread.h>

#include "support/test.h"
#include "ring_support.h"
#include "support/kinds.h"
#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- zero copy -------------------------------------------------------- */

#define ZC_COUNT 5000
#define ZC_MAX	 256

struct zc {
	pt_chan *chan;
};

/* Writes message k in place: its length is k % ZC_MAX + 1, first a
 * reserve of the maximum, then a commit of the real length. */
static int zc_writer(void *arg)
{
	struct zc *z = arg;
	struct pt_chan_msg msg;

	for (int k = 0; k < ZC_COUNT; k++) {
		size_t len = (size_t)k % ZC_MAX + 1;

		if (pt_chan_reserve(z->chan, ZC_MAX, &msg, -1))
			return 1;
		if (msg.len != ZC_MAX || !msg.data)
			return 2;
		memset(msg.data, k & 0xff, len);
		msg.len = len;
		if (pt_chan_commit(z->chan, &msg))
			return 3;
	}
	return 0;
}

START_TEST(zero_copy_round_trips)
{
	struct zc z = { .chan = ring_make(PT_CHAN_SHM, _i, ZC_MAX, 16, 0) };
	pt_unit *unit = pt_test_spawn(_i, zc_writer, &z);
	struct pt_chan_msg msg;

	for (int k = 0; k < ZC_COUNT; k++) {
		const unsigned char *p;

		bool ok;

		/* Check asserts write to a pipe: test first, assert once */
		ok = pt_chan_peek(z.chan, &msg, -1) == 0 &&
		     msg.len == (size_t)k % ZC_MAX + 1;
		p = msg.data;
		for (size_t j = 0; ok && j < msg.len; j++)
			ok = p[j] == (k & 0xff);
		ok = ok && pt_chan_release(z.chan, &msg) == 0;
		if (!ok)
			ck_abort_msg("message %d", k);
	}
	pt_test_join_ok(unit);
	pt_chan_destroy(z.chan);
}
END_TEST

START_TEST(zero_copy_mixes_with_copies)
{
	pt_chan *chan = ring_make(PT_CHAN_SHM, _i, 64, 4, 0);
	struct pt_chan_msg msg;
	char buf[64];
	size_t len;

	/* an uncommitted reservation is invisible */
	PT_ASSERT_OK(pt_chan_reserve(chan, 5, &msg, 0));
	memcpy(msg.data, "first", 5);
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	PT_ASSERT_OK(pt_chan_commit(chan, &msg));
	PT_ASSERT_OK(pt_chan_send(chan, "second", 6, 0));
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 0));
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(buf, "first", 5);
	PT_ASSERT_OK(pt_chan_peek(chan, &msg, 0));
	ck_assert_uint_eq(msg.len, 6);
	ck_assert_mem_eq(msg.data, "second", 6);
	PT_ASSERT_OK(pt_chan_release(chan, &msg));
	PT_ASSERT_ERR(pt_chan_peek(chan, &msg, 0), -EAGAIN);
	/* misuse */
	PT_ASSERT_ERR(pt_chan_reserve(chan, 65, &msg, 0), -EMSGSIZE);
	PT_ASSERT_OK(pt_chan_reserve(chan, 1, &msg, 0));
	msg.len = 65;
	PT_ASSERT_ERR(pt_chan_commit(chan, &msg), -EINVAL);
	msg.len = 1;
	PT_ASSERT_OK(pt_chan_commit(chan, &msg));
	PT_ASSERT_ERR(pt_chan_commit(chan, &msg), -EINVAL);
	PT_ASSERT_OK(pt_chan_peek(chan, &msg, 0));
	PT_ASSERT_OK(pt_chan_release(chan, &msg));
	PT_ASSERT_ERR(pt_chan_release(chan, &msg), -EINVAL);
	/* closed: drained, then the end */
	PT_ASSERT_OK(pt_chan_send(chan, "x", 1, 0));
	PT_ASSERT_OK(pt_chan_close(chan));
	PT_ASSERT_ERR(pt_chan_reserve(chan, 1, &msg, 0), -ESHUTDOWN);
	PT_ASSERT_OK(pt_chan_peek(chan, &msg, 0));
	PT_ASSERT_OK(pt_chan_release(chan, &msg));
	PT_ASSERT_ERR(pt_chan_peek(chan, &msg, 0), -ESHUTDOWN);
	pt_chan_destroy(chan);
}
END_TEST

START_TEST(zero_copy_is_shm_only)
{
	for (int t = PT_CHAN_PIPE; t < PT_CHAN_TRANSPORT_COUNT; t++) {
		pt_chan *chan = ring_make(t, PT_KIND_THREAD, 64, 4, 0);
		struct pt_chan_msg msg;

		PT_ASSERT_ERR(pt_chan_reserve(chan, 1, &msg, 0), -ENOTSUP);
		PT_ASSERT_ERR(pt_chan_commit(chan, &msg), -ENOTSUP);
		PT_ASSERT_ERR(pt_chan_peek(chan, &msg, 0), -ENOTSUP);
		PT_ASSERT_ERR(pt_chan_release(chan, &msg), -ENOTSUP);
		pt_chan_destroy(chan);
	}
}
END_TEST

/* --- SPSC between two threads: what the TSan build checks -------------- */

/* TSan makes each message some fifty times dearer: fewer there, still
 * thousands of laps of the 8-slot ring. */
#ifdef PT_TSAN
#define TT_COUNT 20000
#else
#define TT_COUNT 200000
#endif

/* Under valgrind a receiver that never sleeps waits a whole time slice per
 * message (support/kinds.h): fewer still, 250 laps of the ring. */
static uint32_t tt_count(void)
{
	return pt_test_under_valgrind() ? 2000 : TT_COUNT;
}

static int tt_writer(void *arg)
{
	pt_chan *chan = arg;

	for (uint32_t k = 0; k < tt_count(); k++) {
		uint32_t v[3] = { k, k * 7, ~k };

		if (pt_chan_send(chan, v, sizeof(v) - (k % 3) * 4, -1))
			return 1;
	}
	return 0;
}

/* How long the receiver spins before it sleeps, one row per run. */
static const struct spin_case {
	const char *name;
	uint64_t spin_ns;
} spin_cases[] = {
	{ "sleeps at once", PT_CHAN_SPIN_NEVER },
	{ "spins 5 us first", 5000 },
	{ "never sleeps", PT_CHAN_SPIN_FOREVER },
	{ "adaptive (the default)", PT_CHAN_SPIN_ADAPTIVE },
};
#define N_SPIN_CASES (int)(sizeof(spin_cases) / sizeof(spin_cases[0]))

START_TEST(spsc_threads_stream)
{
	const struct spin_case *c = &spin_cases[_i];
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.kind = PT_KIND_THREAD, .max_msg_bytes = 12,
			     .capacity = 8, .spin_ns = c->spin_ns);
	pt_chan *chan;
	pt_unit *unit;
	bool ok = true;

	pt_test_case(c->name);
	PT_ASSERT_OK(pt_chan_create(&opts, &chan));
	unit = pt_test_spawn(PT_KIND_THREAD, tt_writer, chan);
	for (uint32_t k = 0; ok && k < tt_count(); k++) {
		uint32_t v[3] = { 0 };
		size_t len;

		ok = pt_chan_recv(chan, v, sizeof(v), &len, -1) == 0 &&
		     len == sizeof(v) - (k % 3) * 4 && v[0] == k &&
		     (len < 8 || v[1] == k * 7) && (len < 12 || v[2] == ~k);
		if (!ok)
			ck_abort_msg("message %u", k);
	}
	pt_test_join_ok(unit);
	pt_chan_destroy(chan);
}
END_TEST

/* A channel whose sides never sleep (PT_CHAN_SPIN_FOREVER) publishes
 * without the wake-up protocol (docs/design.md, "Channels and the ring"):
 * between two processes every message still arrives whole and in order,
 * and a close still ends the spinning side. */
struct echo_pair {
	pt_chan *ab, *ba;
};

static int spin_echo(void *arg)
{
	struct echo_pair *e = arg;
	uint64_t v;
	size_t len;
	int rc;

	while ((rc = pt_chan_recv(e->ab, &v, sizeof(v), &len, 10000)) == 0)
		if (len != sizeof(v) || pt_chan_send(e->ba, &v, len, 10000))
			return 1;
	return rc == -ESHUTDOWN ? 0 : 2;
}

START_TEST(spin_forever_round_trips)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.kind = _i, .max_msg_bytes = sizeof(uint64_t),
			     .capacity = 4, .spin_ns = PT_CHAN_SPIN_FOREVER);
	/* few: two sides that never sleep on one CPU wait a time slice per
	 * message; 200 still laps the 4-slot ring 50 times (under valgrind,
	 * which runs one thread at a time, 20 laps it 5 times) */
	uint64_t trips = pt_test_under_valgrind() ? 20 : 200;
	struct echo_pair e;
	pt_unit *unit;
	uint64_t got;
	size_t len;

	PT_ASSERT_OK(pt_chan_create(&opts, &e.ab));
	PT_ASSERT_OK(pt_chan_create(&opts, &e.ba));
	unit = pt_test_spawn(_i, spin_echo, &e);
	for (uint64_t v = 0; v < trips; v++) {
		PT_ASSERT_OK(pt_chan_send(e.ab, &v, sizeof(v), 10000));
		PT_ASSERT_OK(
			pt_chan_recv(e.ba, &got, sizeof(got), &len, 10000));
		ck_assert_uint_eq(got, v);
	}
	PT_ASSERT_OK(pt_chan_close(e.ab));
	pt_test_join_ok(unit);
	pt_chan_destroy(e.ab);
	pt_chan_destroy(e.ba);
}
END_TEST

/* --- many producers, many consumers ---------------------------------- */

#define MP_PRODUCERS 3
#define MP_CONSUMERS 3
#ifdef PT_TSAN
#define MP_EACH 4000 /* see TT_COUNT */
#else
#define MP_EACH 20000
#endif

struct mp_msg {
	uint32_t producer;
	uint32_t seq;
};

struct mp {
	pt_chan *chan;
	uint32_t id;
	_Atomic uint32_t *seen; /* shared: one counter per message */
};

static int mp_producer(void *arg)
{
	struct mp *m = arg;
	struct mp_msg msg = { .producer = m->id };

	for (msg.seq = 0; msg.seq < MP_EACH; msg.seq++)
		if (pt_chan_send(m->chan, &msg, sizeof(msg), -1))
			return 1;
	return 0;
}

static int mp_consumer(void *arg)
{
	struct mp *m = arg;
	int64_t last[MP_PRODUCERS];
	struct mp_msg msg;
	size_t len;
	int rc;

	for (int p = 0; p < MP_PRODUCERS; p++)
		last[p] = -1;
	while ((rc = pt_chan_recv(m->chan, &msg, sizeof(msg), &len, -1)) == 0) {
		if (len != sizeof(msg) || msg.producer >= MP_PRODUCERS ||
		    msg.seq >= MP_EACH)
			return 2;
		/* each producer's order holds for every consumer */
		if ((int64_t)msg.seq <= last[msg.producer])
			return 3;
		last[msg.producer] = msg.seq;
		atomic_fetch_add(&m->seen[msg.producer * MP_EACH + msg.seq], 1);
	}
	return rc == -ESHUTDOWN ? 0 : 4;
}

/* The transports that allow many producers and consumers, between threads,
 * then between processes. */
static const struct mpmc_case {
	const char *name;
	enum pt_chan_transport transport;
	enum pt_kind kind;
} mpmc_cases[] = {
	{ "shm, threads", PT_CHAN_SHM, PT_KIND_THREAD },
	{ "locked, threads", PT_CHAN_LOCKED, PT_KIND_THREAD },
	{ "seqpacket, threads", PT_CHAN_SEQPACKET, PT_KIND_THREAD },
	{ "mqueue, threads", PT_CHAN_MQUEUE, PT_KIND_THREAD },
	{ "shm, processes", PT_CHAN_SHM, PT_KIND_PROCESS },
	{ "locked, processes", PT_CHAN_LOCKED, PT_KIND_PROCESS },
	{ "seqpacket, processes", PT_CHAN_SEQPACKET, PT_KIND_PROCESS },
	{ "mqueue, processes", PT_CHAN_MQUEUE, PT_KIND_PROCESS },
};

/* The rows of the kinds support/kinds.h runs (threads come first). */
static int mpmc_cases_end(void)
{
	int n = 0;

	while (n < (int)(sizeof(mpmc_cases) / sizeof(mpmc_cases[0])) &&
	       (int)mpmc_cases[n].kind < pt_test_kinds_end())
		n++;
	return n;
}

START_TEST(mpmc_delivers_each_once_in_order)
{
	const struct mpmc_case *mc = &mpmc_cases[_i];
	enum pt_chan_transport t = mc->transport;
	enum pt_kind kind = mc->kind;
	size_t bytes = sizeof(uint32_t) * MP_PRODUCERS * MP_EACH;
	struct mp prod[MP_PRODUCERS], cons[MP_CONSUMERS];
	pt_unit *pu[MP_PRODUCERS], *cu[MP_CONSUMERS];
	_Atomic uint32_t *seen;
	pt_chan *chan;

	pt_test_case(mc->name);

	if (t == PT_CHAN_LOCKED && kind == PT_KIND_PROCESS)
		return;
	seen = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(seen, MAP_FAILED);
	chan = ring_make(t, kind, sizeof(struct mp_msg), 8, PT_CHAN_MPMC);
	for (int c = 0; c < MP_CONSUMERS; c++) {
		cons[c] = (struct mp){ .chan = chan, .seen = seen };
		cu[c] = pt_test_spawn(kind, mp_consumer, &cons[c]);
	}
	for (int p = 0; p < MP_PRODUCERS; p++) {
		prod[p] = (struct mp){ .chan = chan, .id = (uint32_t)p };
		pu[p] = pt_test_spawn(kind, mp_producer, &prod[p]);
	}
	for (int p = 0; p < MP_PRODUCERS; p++)
		pt_test_join_ok(pu[p]);
	PT_ASSERT_OK(pt_chan_close(chan));
	for (int c = 0; c < MP_CONSUMERS; c++)
		pt_test_join_ok(cu[c]);
	for (size_t k = 0; k < MP_PRODUCERS * MP_EACH; k++)
		ck_assert_msg(atomic_load(&seen[k]) == 1, "message %zu seen %u",
			      k, atomic_load(&seen[k]));
	pt_chan_destroy(chan);
	munmap(seen, bytes);
}
END_TEST

START_TEST(stream_transports_refuse_mpmc)
{
	static const enum pt_chan_transport streams[] = { PT_CHAN_PIPE,
							  PT_CHAN_UNIX,
							  PT_CHAN_TCP };

	for (int k = 0; k < 3; k++) {
		struct pt_chan_opts opts = PT_CHAN_OPTS(.transport = streams[k],
							.flags = PT_CHAN_MPMC);
		pt_chan *chan = NULL;

		PT_ASSERT_ERR(pt_chan_create(&opts, &chan), -ENOTSUP);
		ck_assert_ptr_null(chan);
	}
}
END_TEST

static Suite *ring_suite(void)
{
	return PT_TEST_SUITE(
		"ring",
		{ "zero-copy", .once = PT_TESTS(zero_copy_is_shm_only),
		  .for_kinds = PT_TESTS(zero_copy_round_trips,
					zero_copy_mixes_with_copies,
					spin_forever_round_trips),
		  .for_rows = PT_TESTS(spsc_threads_stream),
		  .rows = N_SPIN_CASES },
		{ "mpmc", .once = PT_TESTS(stream_transports_refuse_mpmc),
		  .for_rows = PT_TESTS(mpmc_delivers_each_once_in_order),
		  .rows = mpmc_cases_end(), .timeout_s = 300 });
}

PT_TEST_MAIN(ring_suite)
