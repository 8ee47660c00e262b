/* test_ring_hostile - the shared-memory ring's memory as a hostile or dead
 * peer leaves it: a scribbler writing random values over the ring's header
 * and slots while the receiver runs; a producer that died mid-commit; a
 * message that writes only its slot and the head; a forged sequence; a
 * slot left held by a dead process (MPMC). */
#include <procthread.h>

#include "chan/shm.h"
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

/* --- hostile shared memory ------------------------------------------- */

/* The ring's memory as this process maps it, found the way a hostile
 * process would: its memfd's mapping in /proc/self/maps. */
static unsigned char *find_ring(size_t *len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long lo, hi;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "memfd:procthread-region"))
			continue;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			fclose(f);
			*len = hi - lo;
			return (unsigned char *)lo;
		}
	}
	fclose(f);
	return NULL;
}

/* A thread SPSC ring of four 8-byte slots, and its memory (the layout:
 * docs/design.md, "Channels and the ring"). */
static pt_chan *spsc_ring_mapped(unsigned char **mem)
{
	pt_chan *chan = ring_make(PT_CHAN_SHM, PT_KIND_THREAD, 8, 4, 0);
	size_t len;

	*mem = find_ring(&len);
	ck_assert_ptr_nonnull(*mem);
	return chan;
}

/* The 64-bit word at offset off of a ring's memory. */
static _Atomic uint64_t *ring_word(unsigned char *mem, size_t off)
{
	return (_Atomic uint64_t *)(mem + off);
}

#define SCRIBBLE_MAX 96

struct scribble {
	pt_chan *chan;
	unsigned char *mem;
	size_t len;
	_Atomic int *stop;
};

static int steady_writer(void *arg)
{
	struct scribble *s = arg;
	unsigned char buf[SCRIBBLE_MAX];
	uint32_t k = 0;

	while (!atomic_load(s->stop)) {
		size_t len = k % SCRIBBLE_MAX + 1;

		memset(buf, (int)(k & 0xff), len);
		/* corruption may make the writer fail: it just goes on */
		(void)pt_chan_send(s->chan, buf, len, 1);
		k++;
	}
	return 0;
}

static int scribbler(void *arg)
{
	struct scribble *s = arg;
	uint64_t x = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();

	while (!atomic_load(s->stop)) {
		/* xorshift: offsets anywhere in the ring, values of every
		 * width, favouring the header where the counters live */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t off = (x & 1) ? (x >> 8) % 1024 : (x >> 8) % s->len;
		off &= ~(size_t)7;
		if (off + 8 <= s->len) {
			uint64_t v = x * 0x2545f4914f6cdd1du;

			if (x & 2)
				v &= 0xff;
			__atomic_store_n((uint64_t *)(s->mem + off), v,
					 __ATOMIC_RELAXED);
		}
	}
	return 0;
}

/* The receiver: only valid messages (a length in bounds) or -EBADMSG, or
 * nothing at all; never a crash (the ASan build watches the copies). */
static void receive_under_fire(pt_chan *chan, int *badmsg, int *good)
{
	unsigned char buf[SCRIBBLE_MAX];
	uint64_t end = pt_test_now_ns() + 700000000u;
	struct pt_chan_msg msg;
	size_t len;
	int rc;

	while (pt_test_now_ns() < end) {
		if (*good % 2) {
			rc = pt_chan_recv(chan, buf, sizeof(buf), &len, 1);
			if (rc == 0 && len > SCRIBBLE_MAX)
				ck_abort_msg("length %zu", len);
		} else {
			rc = pt_chan_peek(chan, &msg, 1);
			if (rc == 0) {
				if (msg.len > SCRIBBLE_MAX)
					ck_abort_msg("length %zu", msg.len);
				memcpy(buf, msg.data, msg.len);
				if (pt_chan_release(chan, &msg))
					ck_abort_msg("release");
			}
		}
		if (rc == 0)
			(*good)++;
		else if (rc == -EBADMSG)
			(*badmsg)++;
		else if (rc != -ETIMEDOUT && rc != -ESHUTDOWN)
			ck_abort_msg("recv: %s", pt_strerror(rc));
	}
}

/* The kind of the writer and the scribbler, and the ring's mode. TSan runs
 * rows 1 and 3 only (below). */
static const struct scribble_case {
	const char *name;
	enum pt_kind kind;
	unsigned flags;
} scribble_cases[] = {
	{ "spsc, threads", PT_KIND_THREAD, 0 },
	{ "spsc, processes", PT_KIND_PROCESS, 0 },
	{ "mpmc, threads", PT_KIND_THREAD, PT_CHAN_MPMC },
	{ "mpmc, processes", PT_KIND_PROCESS, PT_CHAN_MPMC },
};
#define N_SCRIBBLE_CASES                                                       \
	(int)(sizeof(scribble_cases) / sizeof(scribble_cases[0]))

START_TEST(scribbled_ring_never_hurts_the_reader)
{
	const struct scribble_case *c = &scribble_cases[_i];
	enum pt_kind kind = c->kind;
	unsigned flags = c->flags;
	_Atomic int *stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct scribble s = { .stop = stop };
	pt_unit *writer, *scrib;
	int badmsg = 0, good = 1;

	pt_test_case(c->name);
	ck_assert_ptr_ne(stop, MAP_FAILED);
	s.chan = ring_make(PT_CHAN_SHM, kind, SCRIBBLE_MAX, 16, flags);
	s.mem = find_ring(&s.len);
	ck_assert_ptr_nonnull(s.mem);
	writer = pt_test_spawn(kind, steady_writer, &s);
	scrib = pt_test_spawn(kind, scribbler, &s);
	receive_under_fire(s.chan, &badmsg, &good);
	atomic_store(stop, 1);
	pt_test_join_ok(writer);
	pt_test_join_ok(scrib);
	/* the scribbles were seen, and not every call failed */
	ck_assert_int_gt(badmsg, 0);
	pt_chan_destroy(s.chan);
	munmap(stop, 4096);
}
END_TEST

#ifdef PT_TSAN
START_TEST(scribbled_ring_process_only)
{
	scribbled_ring_never_hurts_the_reader_fn(1);
	scribbled_ring_never_hurts_the_reader_fn(3);
}
END_TEST
#endif

/* --- a producer that died mid-commit ---------------------------------- */

/* An SPSC producer that dies holding a reservation (pt_chan_reserve()
 * without the commit, or killed in mid-copy) leaves its slot unpublished.
 * After a close the consumer drains what was published and then gets
 * -ESHUTDOWN: it must not wait for the slot that will never come (nothing
 * wakes a waiter after the close). */
START_TEST(closed_ring_ends_at_a_half_committed_message)
{
	pt_chan *chan = ring_make(PT_CHAN_SHM, PT_KIND_THREAD, 64, 4, 0);
	struct pt_chan_msg msg, held;
	uint64_t t0;
	int rc;

	PT_ASSERT_OK(pt_chan_send(chan, "sent", 5, 0));
	PT_ASSERT_OK(pt_chan_reserve(chan, 8, &held, 0));
	memcpy(held.data, "torn", 4); /* the producer dies here */
	PT_ASSERT_OK(pt_chan_close(chan));

	PT_ASSERT_OK(pt_chan_peek(chan, &msg, 2000));
	ck_assert_uint_eq(msg.len, 5);
	ck_assert_str_eq(msg.data, "sent");
	PT_ASSERT_OK(pt_chan_release(chan, &msg));
	t0 = pt_test_now_ns();
	rc = pt_chan_peek(chan, &msg, 2000);
	ck_assert_msg(rc == -ESHUTDOWN, "peek: %s", pt_strerror(rc));
	ck_assert_uint_lt(pt_test_now_ns() - t0, 1000000000u);
	pt_chan_destroy(chan);
}
END_TEST

/* The cache-line budget of an SPSC message (docs/design.md, "Channels and
 * the ring"): the producer writes its slot and nothing else that is
 * shared - the shared tail (the word at offset 128) is MPMC's and stays 0
 * - and the consumer's head (offset 256) moves once per message taken. */
START_TEST(spsc_message_writes_only_its_slot_and_head)
{
	unsigned char *mem;
	pt_chan *chan = spsc_ring_mapped(&mem);
	_Atomic uint64_t *tail = ring_word(mem, 128),
			 *head = ring_word(mem, 256);
	char buf[8];
	size_t len;

	for (int i = 0; i < 10; i++) {
		PT_ASSERT_OK(pt_chan_send(chan, "abcdefg", 8, 0));
		ck_assert_uint_eq(atomic_load(tail), 0);
		ck_assert_uint_eq(atomic_load(head), (uint64_t)i);
		PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 0));
		ck_assert_uint_eq(atomic_load(head), (uint64_t)i + 1);
	}
	ck_assert_uint_eq(atomic_load(tail), 0);
	pt_chan_destroy(chan);
}
END_TEST

/* A ring is given all its pages when it is made, so that its first lap
 * takes no page faults: every page of the region is resident before the
 * first send (pt_chan_create() only writes a word per slot, one page in
 * 17 with these slots). */
START_TEST(fresh_ring_pages_are_resident)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM,
			     .max_msg_bytes = 64 << 10, .capacity = 8);
	pt_chan *chan = NULL;
	const pt_region *region;
	unsigned char *vec;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages;

	PT_ASSERT_OK(pt_chan_create(&o, &chan));
	region = pt__chan_shm_region(chan);
	pages = pt_region_len(region) / page;
	vec = calloc(pages, 1);
	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(
		mincore(pt_region_addr(region), pt_region_len(region), vec), 0);
	for (size_t i = 0; i < pages; i++)
		ck_assert_msg(vec[i] & 1, "page %zu of %zu not resident", i,
			      pages);
	free(vec);
	pt_chan_destroy(chan);
}
END_TEST

/* A slot's sequence that no producer wrote (neither this lap's message,
 * nor the lap before's, nor the initial value) is -EBADMSG for the
 * consumer, found on the slot's own line: the consumer has no shared tail
 * to check against any more. Slot 0 is at offset 640. */
START_TEST(spsc_consumer_refuses_a_forged_sequence)
{
	unsigned char *mem;
	pt_chan *chan = spsc_ring_mapped(&mem);
	_Atomic uint64_t *seq0 = ring_word(mem, 640);
	char buf[8];
	size_t len;

	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	atomic_store(seq0, 77);
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EBADMSG);
	atomic_store(seq0, 0);
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	pt_chan_destroy(chan);
}
END_TEST

/* A handle built from a ticket takes over either side of an SPSC ring in
 * the middle of its life, past a wrap: the producer's position, which is
 * kept privately, is found again from the slots. */
START_TEST(spsc_ticket_takes_over_mid_stream)
{
	pt_chan *chan = ring_make(PT_CHAN_SHM, PT_KIND_PROCESS, 8, 4, 0);
	struct pt_chan_ticket t;
	pt_chan *prod, *cons;
	uint64_t v, got, want = 0;
	size_t len;

	PT_ASSERT_OK(pt_chan_make_ticket(chan, &t));
	/* 6 sent, 3 taken: positions 3, 4, 5 wait, slots wrapped once */
	for (v = 0; v < 6; v++) {
		PT_ASSERT_OK(pt_chan_send(chan, &v, sizeof(v), 0));
		if (v % 2 == 1) {
			PT_ASSERT_OK(
				pt_chan_recv(chan, &got, sizeof(got), &len, 0));
			ck_assert_uint_eq(got, want++);
		}
	}
	PT_ASSERT_OK(pt_chan_from_ticket(&t, &prod));
	PT_ASSERT_OK(pt_chan_send(prod, &v, sizeof(v), 0));
	v++;
	/* full: 4 in flight */
	PT_ASSERT_ERR(pt_chan_try_send(prod, &v, sizeof(v)), -EAGAIN);
	PT_ASSERT_OK(pt_chan_from_ticket(&t, &cons));
	for (; want < 7; want++) {
		PT_ASSERT_OK(pt_chan_recv(cons, &got, sizeof(got), &len, 0));
		ck_assert_uint_eq(got, want);
	}
	PT_ASSERT_ERR(pt_chan_try_recv(cons, &got, sizeof(got), &len), -EAGAIN);
	pt_chan_destroy(cons);
	pt_chan_destroy(prod);
	pt_chan_destroy(chan);
}
END_TEST

/* --- a slot held by a dead process (MPMC) ------------------------------ */

/* A pid that is no process any more: a child that exited and was reaped. */
static uint32_t dead_pid(void)
{
	pid_t pid = pt_test_fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return (uint32_t)pid;
}

/* Slot 0's owner word (docs/design.md: slots at 640, owner at +12). */
static void forge_owner(unsigned char *mem, uint32_t pid)
{
	__atomic_store_n((uint32_t *)(mem + 640 + 12), pid, __ATOMIC_SEQ_CST);
}

/* The ring as a process killed in the middle of a call leaves it: slot 0
 * held by a dead pid, once by a producer that had claimed it (a
 * reservation never committed), once by a consumer (a peek never
 * released). The others pass over it: the consumer after the producer's
 * slot, the producer into the consumer's; only the message in the slot
 * is lost. Threads of one process, so TSan sees the reclaim. */
START_TEST(mpmc_passes_a_slot_held_by_a_dead_process)
{
	pt_chan *chan =
		ring_make(PT_CHAN_SHM, PT_KIND_THREAD, 64, 4, PT_CHAN_MPMC);
	uint32_t dead = dead_pid();
	struct pt_chan_msg msg;
	unsigned char *mem;
	char buf[64];
	size_t len;
	int rc;

	mem = find_ring(&len);
	ck_assert_ptr_nonnull(mem);
	/* a producer died holding slot 0 */
	PT_ASSERT_OK(pt_chan_reserve(chan, 8, &msg, 0));
	forge_owner(mem, dead);
	for (int k = 1; k < 4; k++)
		PT_ASSERT_OK(pt_chan_send(chan, &k, sizeof(k), 0));
	for (int k = 1; k < 4; k++) {
		rc = pt_chan_recv(chan, buf, sizeof(buf), &len, 2000);
		ck_assert_msg(rc == 0, "recv %d: %s", k, pt_strerror(rc));
		ck_assert_int_eq(*(int *)buf, k);
	}
	/* a consumer died holding slot 0, a lap later */
	for (int k = 4; k < 8; k++)
		PT_ASSERT_OK(pt_chan_send(chan, &k, sizeof(k), 2000));
	PT_ASSERT_OK(pt_chan_peek(chan, &msg, 0));
	ck_assert_int_eq(*(int *)msg.data, 4);
	forge_owner(mem, dead);
	for (int k = 5; k < 8; k++) {
		PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 0));
		ck_assert_int_eq(*(int *)buf, k);
	}
	/* the producer one lap on finds slot 0 held by the dead consumer */
	for (int k = 8; k < 12; k++) {
		rc = pt_chan_send(chan, &k, sizeof(k), 2000);
		ck_assert_msg(rc == 0, "send %d: %s", k, pt_strerror(rc));
	}
	for (int k = 8; k < 12; k++) {
		PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 0));
		ck_assert_int_eq(*(int *)buf, k);
	}
	pt_chan_destroy(chan);
}
END_TEST

static Suite *ring_hostile_suite(void)
{
	/* The scribbler races with everyone on purpose: that is its job,
	 * and TSan would rightly say so; TSan runs the process cases only.
	 * The reclaim asks a pidfd, which valgrind 3.19 does not know. */
#ifdef PT_TSAN
	(void)scribbled_ring_never_hurts_the_reader;
#define SCRIBBLE_TESTS .once = PT_TESTS(scribbled_ring_process_only)
#else
#define SCRIBBLE_TESTS                                                         \
	.for_rows = PT_TESTS(scribbled_ring_never_hurts_the_reader),           \
	.rows = N_SCRIBBLE_CASES
#endif
	return PT_TEST_SUITE(
		"ring_hostile",
		{ "zero-copy",
		  .once = PT_TESTS(closed_ring_ends_at_a_half_committed_message,
				   spsc_message_writes_only_its_slot_and_head,
				   fresh_ring_pages_are_resident,
				   spsc_consumer_refuses_a_forged_sequence,
				   spsc_ticket_takes_over_mid_stream) },
		{ "hostile", SCRIBBLE_TESTS, .tags = "process" },
		{ "dead-member",
		  .once = PT_TESTS(mpmc_passes_a_slot_held_by_a_dead_process),
		  .tags = "process" });
}

PT_TEST_MAIN(ring_hostile_suite)
