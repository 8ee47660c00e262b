/* test_chan_stress - channels between processes under stress and under
 * violence: the MPMC ring with 2 producer and 2 consumer processes moving
 * ten million messages, and a writer killed with SIGKILL in the middle of
 * a stream, on every transport that processes can use; SEQPACKET at the
 * largest message it accepts, 30 closes in a row. An MPMC ring that loses
 * a member is test_chan_members.
 *
 * PT_STRESS_MESSAGES overrides the message count of the MPMC test. The
 * TSan build uses a tenth of it (STRESS_DEFAULT): there the full count
 * takes over two minutes on a 2-CPU machine (TSan slows every atomic
 * tenfold or more), and TSan cannot see races between processes anyway;
 * the ring's races are its business in test_ring's thread cases. The
 * normal and the ASan builds run the full ten million (about 6 s and
 * 14 s here). */
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

#ifdef PT_TSAN
#define STRESS_DEFAULT 1000000u
#else
#define STRESS_DEFAULT 10000000u
#endif

/* --- ten million messages, 2 + 2 processes --------------------------- */

struct stress {
	pt_chan *chan;
	uint32_t id;
	uint32_t each;	       /* messages per producer */
	_Atomic uint8_t *seen; /* shared: one counter per message */
	pid_t parent;
};

static int stress_producer(void *arg)
{
	struct stress *s = arg;
	struct stress_msg msg = { .producer = s->id };

	if (pt_chan_watch(s->chan, s->parent))
		return 1;
	for (msg.seq = 0; msg.seq < s->each; msg.seq++)
		if (pt_chan_send(s->chan, &msg, sizeof(msg), -1))
			return 2;
	return 0;
}

static int stress_consumer(void *arg)
{
	struct stress *s = arg;
	int64_t last[2] = { -1, -1 };
	struct stress_msg msg;
	size_t len;
	int rc;

	if (pt_chan_watch(s->chan, s->parent))
		return 1;
	while ((rc = pt_chan_recv(s->chan, &msg, sizeof(msg), &len, -1)) == 0) {
		if (len != sizeof(msg) || msg.producer > 1 ||
		    msg.seq >= s->each)
			return 2;
		if ((int64_t)msg.seq <= last[msg.producer])
			return 3; /* a producer's order was broken */
		last[msg.producer] = msg.seq;
		atomic_fetch_add_explicit(
			&s->seen[(size_t)msg.producer * s->each + msg.seq], 1,
			memory_order_relaxed);
	}
	return rc == -ESHUTDOWN ? 0 : 4;
}

START_TEST(mpmc_ten_million_two_by_two)
{
	const char *env = getenv("PT_STRESS_MESSAGES");
	uint32_t total =
		env ? (uint32_t)strtoul(env, NULL, 10) : STRESS_DEFAULT;
	uint32_t each = total / 2;
	size_t bytes = (size_t)each * 2;
	_Atomic uint8_t *seen = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct stress prod[2], cons[2];
	pt_unit *pu[2], *cu[2];
	size_t missing = 0, doubled = 0;
	pt_chan *chan;

	ck_assert_ptr_ne(seen, MAP_FAILED);
	/* spin briefly: four processes share two CPUs, a producer is often
	 * preempted between its claim and its publish */
	{
		struct pt_chan_opts opts =
			PT_CHAN_OPTS(.kind = PT_KIND_PROCESS,
				     .max_msg_bytes = 8, .capacity = 1024,
				     .flags = PT_CHAN_MPMC, .spin_ns = 2000);

		PT_ASSERT_OK(pt_chan_create(&opts, &chan));
	}
	for (uint32_t i = 0; i < 2; i++) {
		cons[i] = (struct stress){ .chan = chan,
					   .each = each,
					   .seen = seen,
					   .parent = getpid() };
		prod[i] = cons[i];
		prod[i].id = i;
		cu[i] = pt_test_spawn(PT_KIND_PROCESS, stress_consumer,
				      &cons[i]);
	}
	for (int i = 0; i < 2; i++)
		pu[i] = pt_test_spawn(PT_KIND_PROCESS, stress_producer,
				      &prod[i]);
	for (int i = 0; i < 2; i++)
		pt_test_join_ok(pu[i]);
	PT_ASSERT_OK(pt_chan_close(chan));
	for (int i = 0; i < 2; i++)
		pt_test_join_ok(cu[i]);
	for (size_t k = 0; k < bytes; k++) {
		uint8_t n =
			atomic_load_explicit(&seen[k], memory_order_relaxed);

		missing += n == 0;
		doubled += n > 1;
	}
	ck_assert_msg(missing == 0 && doubled == 0,
		      "%zu of %zu missing, %zu more than once", missing, bytes,
		      doubled);
	pt_chan_destroy(chan);
	munmap(seen, bytes);
}
END_TEST

/* --- kill -9 of a writer in mid-stream -------------------------------- */

#define KILL_MAX   (64u << 10)
#define KILL_AFTER 300

struct kill_hdr {
	uint64_t seq;
	uint32_t len;
	uint32_t unused;
};

static unsigned char byte_at(uint64_t seq, size_t j)
{
	return (unsigned char)(seq * 31 + j * 7 + (j >> 8));
}

/* Message seq's length, for a channel whose largest message is max. */
static size_t len_of(uint64_t seq, size_t max)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15u;

	return sizeof(struct kill_hdr) +
	       (size_t)((x >> 20) % (max - sizeof(struct kill_hdr)));
}

static void fill(unsigned char *buf, uint64_t seq, size_t max)
{
	struct kill_hdr h = { .seq = seq, .len = (uint32_t)len_of(seq, max) };

	memcpy(buf, &h, sizeof(h));
	for (size_t j = sizeof(h); j < h.len; j++)
		buf[j] = byte_at(seq, j);
}

static bool whole(const unsigned char *buf, size_t len, uint64_t seq,
		  size_t max)
{
	struct kill_hdr h;

	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.seq != seq || h.len != len || len != len_of(seq, max))
		return false;
	for (size_t j = sizeof(h); j < len; j++)
		if (buf[j] != byte_at(seq, j))
			return false;
	return true;
}

struct writer {
	pt_chan *chan;
	size_t max; /* the channel's largest message */
	pid_t parent;
	bool zero_copy;
};

/* Writes until killed. The zero-copy writer fills each slot in pieces,
 * so that the kill often finds a reserved, half-written message. */
static int endless_writer(void *arg)
{
	struct writer *w = arg;
	unsigned char *buf = malloc(KILL_MAX);
	struct pt_chan_msg msg;

	if (!buf || pt_chan_watch(w->chan, w->parent))
		return 1;
	for (uint64_t seq = 0;; seq++) {
		size_t len = len_of(seq, w->max);

		fill(buf, seq, w->max);
		if (!w->zero_copy) {
			if (pt_chan_send(w->chan, buf, len, -1))
				return 2;
			continue;
		}
		if (pt_chan_reserve(w->chan, len, &msg, -1))
			return 3;
		for (size_t off = 0; off < len; off += 4096) {
			size_t n = len - off < 4096 ? len - off : 4096;

			memcpy((unsigned char *)msg.data + off, buf + off, n);
			sched_yield();
		}
		if (pt_chan_commit(w->chan, &msg))
			return 4;
	}
}

static bool ring_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "procthread-region") != NULL;
	fclose(f);
	return found;
}

static const struct kill_case {
	const char *name;
	enum pt_chan_transport transport;
	bool zero_copy; /* the writer reserves and commits */
} kill_cases[] = {
	{ "shm", PT_CHAN_SHM, false },
	{ "pipe", PT_CHAN_PIPE, false },
	{ "unix", PT_CHAN_UNIX, false },
	{ "tcp", PT_CHAN_TCP, false },
	{ "seqpacket", PT_CHAN_SEQPACKET, false },
	{ "mqueue", PT_CHAN_MQUEUE, false },
	{ "shm, zero-copy writer", PT_CHAN_SHM, true },
};
#define N_KILL_CASES (int)(sizeof(kill_cases) / sizeof(kill_cases[0]))

/* The largest message the system lets a message queue carry (without
 * CAP_SYS_RESOURCE: fs.mqueue.msgsize_max, 8 KiB by default). */
static size_t mq_msgsize_max(void)
{
	FILE *f = fopen("/proc/sys/fs/mqueue/msgsize_max", "re");
	unsigned long v = 8192;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 8192;
		fclose(f);
	}
	return v;
}

static void kill_round(enum pt_chan_transport t, bool zero_copy,
		       unsigned char *buf)
{
	struct writer w = { .parent = getpid(), .zero_copy = zero_copy };
	struct pt_status st;
	uint64_t seq = 0;
	pt_unit *unit;
	size_t len;
	int rc;

	w.max = KILL_MAX;
	if (t == PT_CHAN_MQUEUE && mq_msgsize_max() < KILL_MAX)
		w.max = mq_msgsize_max();
	w.chan = ring_make(t, PT_KIND_PROCESS, w.max, 8, 0);
	unit = pt_test_spawn(PT_KIND_PROCESS, endless_writer, &w);
	PT_ASSERT_OK(pt_chan_watch(w.chan, pt_unit_pid(unit)));
	for (;;) {
		rc = pt_chan_recv(w.chan, buf, KILL_MAX, &len, 5000);
		if (rc)
			break;
		if (!whole(buf, len, seq, w.max))
			ck_abort_msg("%s: message %llu torn or out of order",
				     pt_chan_transport_name(t),
				     (unsigned long long)seq);
		if (++seq == KILL_AFTER)
			PT_ASSERT_OK(pt_unit_kill(unit, SIGKILL));
	}
	ck_assert_msg(rc == -EPIPE, "%s: %s after %llu messages",
		      pt_chan_transport_name(t), pt_strerror(rc),
		      (unsigned long long)seq);
	ck_assert_uint_ge(seq, KILL_AFTER);
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	/* the end is for good */
	PT_ASSERT_ERR(pt_chan_try_recv(w.chan, buf, KILL_MAX, &len), -EPIPE);
	pt_unit_destroy(unit);
	pt_chan_destroy(w.chan);
}

START_TEST(killed_writer_is_epipe_never_torn)
{
	const struct kill_case *c = &kill_cases[_i];
	enum pt_chan_transport t = c->transport;
	unsigned char *buf = malloc(KILL_MAX);
	struct pt_ledger before, after;

	pt_test_case(c->name);
	ck_assert_ptr_nonnull(buf);
	/* one round to warm up allocators, then a counted one */
	kill_round(t, c->zero_copy, buf);
	pt_ledger_take(&before);
	kill_round(t, c->zero_copy, buf);
	pt_ledger_take(&after);
	/* Descriptors and children must balance, and no name of ours may
	 * be left in /dev/shm or /dev/mqueue (counted by pid: the totals
	 * change with whatever else runs on the machine). The mapping count
	 * is not compared: malloc may grow the heap as a mapping of its own
	 * between the two counts. No ring is left mapped, though. */
	ck_assert_int_eq(after.fds, before.fds);
	ck_assert_int_eq(after.children, before.children);
	ck_assert_int_eq(pt_shm_entries_of(getpid()), 0);
	ck_assert(!ring_mapped());
	free(buf);
}
END_TEST

/* --- the largest SEQPACKET message ---------------------------------- */

static pt_chan *seqpacket_of(size_t max_msg, int *rc)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = PT_CHAN_SEQPACKET,
			     .kind = PT_KIND_THREAD, .max_msg_bytes = max_msg,
			     .capacity = 4);
	pt_chan *chan = NULL;

	*rc = pt_chan_create(&o, &chan);
	return chan;
}

struct close_seen {
	pt_chan *chan;
	size_t cap;
	int got;
	int end;
};

static void *receive_until_error(void *arg)
{
	struct close_seen *c = arg;
	unsigned char *buf = malloc(c->cap);
	size_t len;

	if (!buf)
		return NULL;
	while ((c->end = pt_chan_recv(c->chan, buf, c->cap, &len, 5000)) == 0)
		c->got++;
	free(buf);
	return NULL;
}

/* SEQPACKET: create refuses a max_msg_bytes whose messages (or end
 * marker) the kernel cannot send as one packet, with -EMSGSIZE; at the
 * largest size it accepts, such messages go through, and a close right
 * after two of them is always seen by a receiver, asleep or not. */
START_TEST(seqpacket_accepts_only_what_it_can_carry)
{
	size_t lo = 4096, hi = PT_CHAN_MSG_MAX + 1;
	unsigned char *msg;
	pt_chan *chan;
	int rc;

	chan = seqpacket_of(lo, &rc);
	ck_assert_int_eq(rc, 0);
	pt_chan_destroy(chan);
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		chan = seqpacket_of(mid, &rc);
		if (rc == 0) {
			pt_chan_destroy(chan);
			lo = mid;
		} else {
			ck_assert_int_eq(rc, -EMSGSIZE);
			hi = mid;
		}
	}
	msg = calloc(1, lo);
	ck_assert_ptr_nonnull(msg);
	for (int run = 0; run < 30; run++) {
		struct close_seen c = { .cap = lo };
		pthread_t th;

		c.chan = seqpacket_of(lo, &rc);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(
			pthread_create(&th, NULL, receive_until_error, &c), 0);
		for (int k = 0; k < 2; k++)
			ck_assert_msg(
				(rc = pt_chan_send(c.chan, msg, lo, 5000)) == 0,
				"max_msg_bytes %zu: send: %s", lo,
				pt_strerror(rc));
		PT_ASSERT_OK(pt_chan_close(c.chan));
		ck_assert_int_eq(pthread_join(th, NULL), 0);
		ck_assert_int_eq(c.got, 2);
		ck_assert_msg(c.end == -ESHUTDOWN, "run %d: %s", run,
			      pt_strerror(c.end));
		pt_chan_destroy(c.chan);
	}
	free(msg);
}
END_TEST

static Suite *stress_suite(void)
{
	return PT_TEST_SUITE(
		"chan-stress",
		{ "mpmc", .once = PT_TESTS(mpmc_ten_million_two_by_two),
		  .timeout_s = 600, .tags = "process" },
		{ "kill",
		  .for_rows = PT_TESTS(killed_writer_is_epipe_never_torn),
		  .rows = N_KILL_CASES, .timeout_s = 300, .tags = "process" },
		{ "limits",
		  .once = PT_TESTS(seqpacket_accepts_only_what_it_can_carry),
		  .timeout_s = 120 });
}

PT_TEST_MAIN(stress_suite)
