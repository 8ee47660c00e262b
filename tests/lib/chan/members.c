/* test_chan_members - an MPMC ring between processes that loses a producer
 * or a consumer to kill -9: slots held by the dead member, and kills at
 * random points, 20 runs each; the others go on. */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/units.h"
#include "support/ledger.h"
#include "support/shm_of.h"
#include "ring_support.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* --- MPMC: one dead member is not the end --------------------------------- */

#define MEMBER_CAP 4
#define MEMBER_N   20
#define RUN_MSG	   (64u << 10)
#define RUN_EACH   2000

struct member {
	pt_chan *chan;
	int ready_fd; /* one byte once it holds a slot */
	int go_fd;    /* > 0: one byte to read before starting */
	uint32_t id;
	uint32_t first; /* the first sequence number it sends or expects */
	uint32_t count;
};

/* Holds a slot as a dead member would: a reservation never committed
 * (a producer) or a peeked message never released (a consumer), then
 * waits to be killed. */
static int hold_a_slot(void *arg)
{
	struct member *m = arg;
	struct pt_chan_msg msg;
	int rc = m->id ? pt_chan_peek(m->chan, &msg, 5000)
		       : pt_chan_reserve(m->chan, sizeof(struct stress_msg),
					 &msg, 5000);

	if (rc || write(m->ready_fd, "h", 1) != 1)
		return 1;
	pause();
	return 0;
}

/* Waits for the go: a member spawned before the one that dies, so that
 * it does not inherit the parent's watch on that one. */
static int wait_go(const struct member *m)
{
	char c;

	return m->go_fd > 0 && read(m->go_fd, &c, 1) != 1;
}

static int send_seqs(void *arg)
{
	struct member *m = arg;
	struct stress_msg msg = { .producer = m->id };

	if (wait_go(m))
		return 1;
	for (msg.seq = m->first; msg.seq < m->first + m->count; msg.seq++)
		if (pt_chan_send(m->chan, &msg, sizeof(msg), 5000))
			return 2;
	return 0;
}

static int recv_seqs(void *arg)
{
	struct member *m = arg;
	struct stress_msg msg;
	size_t len;

	if (wait_go(m))
		return 1;
	for (uint32_t k = m->first; k < m->first + m->count; k++)
		if (pt_chan_recv(m->chan, &msg, sizeof(msg), &len, 5000) ||
		    len != sizeof(msg) || msg.seq != k)
			return 2;
	return pt_chan_recv(m->chan, &msg, sizeof(msg), &len, 5000) ==
			       -ESHUTDOWN
		       ? 0
		       : 3;
}

/* Spawns a member that holds a slot, waits until it does, kills it. */
static pt_unit *kill_a_holder(struct member *m)
{
	struct pt_status st;
	pt_unit *unit;
	int ready[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	m->ready_fd = ready[1];
	unit = pt_test_spawn(PT_KIND_PROCESS, hold_a_slot, m);
	PT_ASSERT_OK(pt_chan_watch(m->chan, pt_unit_pid(unit)));
	close(ready[1]); /* a member that fails is then end of file */
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	PT_ASSERT_OK(pt_unit_kill(unit, SIGKILL));
	PT_ASSERT_OK(pt_unit_join(unit, 5000, &st));
	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	return unit;
}

/* Makes the channel dead and live share and starts live (running fn) in a
 * process the channel watches; it waits on go[0] until let_go(go). */
static pt_unit *start_live(struct member *dead, struct member *live,
			   pt_unit_fn *fn, int go[2])
{
	pt_unit *unit;

	dead->chan =
		ring_make(PT_CHAN_SHM, PT_KIND_PROCESS,
			  sizeof(struct stress_msg), MEMBER_CAP, PT_CHAN_MPMC);
	live->chan = dead->chan;
	ck_assert_int_eq(pipe(go), 0);
	live->go_fd = go[0];
	unit = pt_test_spawn(PT_KIND_PROCESS, fn, live);
	PT_ASSERT_OK(pt_chan_watch(live->chan, pt_unit_pid(unit)));
	return unit;
}

static void let_go(int go[2])
{
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[0]);
	close(go[1]);
}

/* A producer killed holding a slot (mid-write): the consumer passes over
 * it, every message of the live producer arrives in order, and the
 * watched side ends (-EPIPE) only once both producers are gone. */
START_TEST(mpmc_survives_a_producer_killed_mid_write)
{
	struct member dead = { .id = 0 };
	struct member live = { .id = 1, .count = 3 * MEMBER_CAP };
	struct stress_msg msg;
	pt_unit *a, *b;
	size_t len;
	int go[2];

	b = start_live(&dead, &live, send_seqs, go);
	a = kill_a_holder(&dead);
	let_go(go);
	for (uint32_t k = 0; k < live.count; k++) {
		int rc = pt_chan_recv(live.chan, &msg, sizeof(msg), &len, 5000);

		ck_assert_msg(rc == 0, "message %u: %s", k, pt_strerror(rc));
		ck_assert_uint_eq(msg.producer, 1);
		ck_assert_uint_eq(msg.seq, k);
	}
	pt_test_join_ok(b);
	PT_ASSERT_ERR(pt_chan_recv(live.chan, &msg, sizeof(msg), &len, 5000),
		      -EPIPE);
	pt_unit_destroy(a);
	pt_chan_destroy(live.chan);
}
END_TEST

/* A consumer killed holding a message (mid-read): that one message is
 * lost, the producer never waits for its slot, and the other consumer
 * gets everything sent after it, in order, then the close. */
START_TEST(mpmc_survives_a_consumer_killed_mid_read)
{
	struct member dead = { .id = 1 };
	struct member live = { .first = 1, .count = 3 * MEMBER_CAP };
	struct stress_msg msg = { .seq = 0 };
	pt_unit *a, *b;
	int go[2];

	b = start_live(&dead, &live, recv_seqs, go);
	PT_ASSERT_OK(pt_chan_send(live.chan, &msg, sizeof(msg), 0));
	a = kill_a_holder(&dead);
	let_go(go);
	for (msg.seq = 1; msg.seq <= live.count; msg.seq++) {
		int rc = pt_chan_send(live.chan, &msg, sizeof(msg), 5000);

		ck_assert_msg(rc == 0, "message %u: %s", msg.seq,
			      pt_strerror(rc));
	}
	PT_ASSERT_OK(pt_chan_close(live.chan));
	pt_test_join_ok(b);
	pt_unit_destroy(a);
	pt_chan_destroy(live.chan);
}
END_TEST

/* A producer of large messages, for kills at random points. */
static int send_big(void *arg)
{
	struct member *m = arg;
	static unsigned char buf[RUN_MSG];
	struct stress_msg msg = { .producer = m->id };

	for (msg.seq = 0; msg.seq < m->count; msg.seq++) {
		memcpy(buf, &msg, sizeof(msg));
		if (pt_chan_send(m->chan, buf, RUN_MSG, 5000))
			return 2;
	}
	return 0;
}

/* kill -9 of one of two producers of 64 KiB messages, at a different
 * point each run (the window a claim is held is then wide): the live
 * producer's messages all arrive, in order; the dead one's arrive in
 * order up to where it died. */
START_TEST(mpmc_kill_9_of_a_producer_mid_stream)
{
	static unsigned char buf[RUN_MSG];

	for (int run = 0; run < 20; run++) {
		struct member m[2] = { { .id = 0, .count = UINT32_MAX },
				       { .id = 1, .count = RUN_EACH } };
		int64_t last[2] = { -1, -1 };
		uint32_t got = 0;
		struct stress_msg msg;
		pt_unit *u[2];
		size_t len;

		m[0].chan = ring_make(PT_CHAN_SHM, PT_KIND_PROCESS, RUN_MSG, 8,
				      PT_CHAN_MPMC);
		m[1].chan = m[0].chan;
		for (int i = 0; i < 2; i++)
			u[i] = pt_test_spawn(PT_KIND_PROCESS, send_big, &m[i]);
		while (last[1] < RUN_EACH - 1) {
			int rc = pt_chan_recv(m[0].chan, buf, RUN_MSG, &len,
					      5000);

			ck_assert_msg(rc == 0, "run %d: %s after %lld of B's",
				      run, pt_strerror(rc),
				      (long long)last[1] + 1);
			memcpy(&msg, buf, sizeof(msg));
			ck_assert_uint_le(msg.producer, 1);
			ck_assert_int_eq((int64_t)msg.seq,
					 last[msg.producer] + 1);
			last[msg.producer] = msg.seq;
			if (++got == 300u + (uint32_t)run * 7)
				PT_ASSERT_OK(pt_unit_kill(u[0], SIGKILL));
		}
		pt_unit_destroy(u[0]);
		pt_test_join_ok(u[1]);
		pt_chan_destroy(m[0].chan);
	}
}
END_TEST

static int recv_big_until_closed(void *arg)
{
	struct member *m = arg;
	static unsigned char buf[RUN_MSG];
	size_t len;
	int rc;

	while ((rc = pt_chan_recv(m->chan, buf, RUN_MSG, &len, -1)) == 0)
		;
	return rc == -ESHUTDOWN ? 0 : 1;
}

/* kill -9 of one of two consumers, at a different point each run: the
 * producer's sends never wait for the dead one's slot, and the other
 * consumer sees the close. */
START_TEST(mpmc_kill_9_of_a_consumer_mid_stream)
{
	static unsigned char buf[RUN_MSG];

	for (int run = 0; run < 20; run++) {
		struct member m = { .id = 1 };
		pt_unit *u[2];

		m.chan = ring_make(PT_CHAN_SHM, PT_KIND_PROCESS, RUN_MSG, 8,
				   PT_CHAN_MPMC);
		for (int i = 0; i < 2; i++)
			u[i] = pt_test_spawn(PT_KIND_PROCESS,
					     recv_big_until_closed, &m);
		for (int k = 0; k < RUN_EACH; k++) {
			int rc;

			if (k == 300 + run * 7)
				PT_ASSERT_OK(pt_unit_kill(u[0], SIGKILL));
			rc = pt_chan_send(m.chan, buf, RUN_MSG, 5000);
			ck_assert_msg(rc == 0, "run %d, send %d: %s", run, k,
				      pt_strerror(rc));
		}
		PT_ASSERT_OK(pt_chan_close(m.chan));
		pt_unit_destroy(u[0]);
		pt_test_join_ok(u[1]);
		pt_chan_destroy(m.chan);
	}
}
END_TEST

static Suite *members_suite(void)
{
	return PT_TEST_SUITE(
		"chan-members",
		{ "members",
		  .once = PT_TESTS(mpmc_survives_a_producer_killed_mid_write,
				   mpmc_survives_a_consumer_killed_mid_read,
				   mpmc_kill_9_of_a_producer_mid_stream,
				   mpmc_kill_9_of_a_consumer_mid_stream),
		  .timeout_s = 120, .tags = "process" });
}

PT_TEST_MAIN(members_suite)
