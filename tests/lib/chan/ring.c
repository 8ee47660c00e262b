/* test_ring - what only the shared-memory ring does: zero-copy
 * reserve/commit and peek/release, many producers and consumers (also on
 * the kernel transports that allow it), a sleeping receiver's CPU cost,
 * hostile shared memory: a scribbler writing random values over the
 * ring's header and slots while the receiver runs; and slots left held by
 * a dead process.
 *
 * Loop tests run once per kind (the index is the kind). */
#include <procthread.h>

#include "chan/adaptive.h"
#include "chan/shm.h"
#include "support/test.h"
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

static pt_chan *make(enum pt_chan_transport t, enum pt_kind kind,
		     size_t max_msg, uint32_t capacity, unsigned flags)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = t, .kind = kind,
			     .max_msg_bytes = max_msg, .capacity = capacity,
			     .flags = flags);
	pt_chan *chan = NULL;
	int rc = pt_chan_create(&opts, &chan);

	ck_assert_msg(rc == 0, "create %s: %s", pt_chan_transport_name(t),
		      pt_strerror(rc));
	return chan;
}

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
	struct zc z = { .chan = make(PT_CHAN_SHM, _i, ZC_MAX, 16, 0) };
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
	pt_chan *chan = make(PT_CHAN_SHM, _i, 64, 4, 0);
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
		pt_chan *chan = make(t, PT_THREAD, 64, 4, 0);
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

/* index: 0 sleeps at once, 1 spins a little first, 2 never sleeps, 3
 * adaptive (the default) */
START_TEST(spsc_threads_stream)
{
	static const uint64_t spins[] = { PT_CHAN_SPIN_NEVER, 5000,
					  PT_CHAN_SPIN_FOREVER,
					  PT_CHAN_SPIN_ADAPTIVE };
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.kind = PT_THREAD, .max_msg_bytes = 12,
			     .capacity = 8, .spin_ns = spins[_i]);
	pt_chan *chan;
	pt_unit *unit;
	bool ok = true;

	PT_ASSERT_OK(pt_chan_create(&opts, &chan));
	unit = pt_test_spawn(PT_THREAD, tt_writer, chan);
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

static const enum pt_chan_transport mpmc_transports[] = {
	PT_CHAN_SHM, PT_CHAN_LOCKED, PT_CHAN_SEQPACKET, PT_CHAN_MQUEUE
};
#define MPMC_NT 4

/* index: transport = i % MPMC_NT, kind = thread for the first MPMC_NT */
START_TEST(mpmc_delivers_each_once_in_order)
{
	enum pt_chan_transport t = mpmc_transports[_i % MPMC_NT];
	enum pt_kind kind = _i >= MPMC_NT ? PT_PROCESS : PT_THREAD;
	size_t bytes = sizeof(uint32_t) * MP_PRODUCERS * MP_EACH;
	struct mp prod[MP_PRODUCERS], cons[MP_CONSUMERS];
	pt_unit *pu[MP_PRODUCERS], *cu[MP_CONSUMERS];
	_Atomic uint32_t *seen;
	pt_chan *chan;

	if (t == PT_CHAN_LOCKED && kind == PT_PROCESS)
		return;
	seen = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(seen, MAP_FAILED);
	chan = make(t, kind, sizeof(struct mp_msg), 8, PT_CHAN_MPMC);
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

/* --- a sleeping receiver costs no CPU -------------------------------- */

struct sleeper {
	pt_chan *chan;
	int watch;
};

static int sleep_in_recv(void *arg)
{
	struct sleeper *s = arg;
	char buf[8];
	size_t len;

	if (s->watch && pt_chan_watch(s->chan, s->watch))
		return 1;
	return pt_chan_recv(s->chan, buf, sizeof(buf), &len, 300) == -ETIMEDOUT
		       ? 0
		       : 2;
}

START_TEST(sleeping_receiver_costs_no_cpu)
{
	for (int watched = 0; watched < 2; watched++) {
		struct sleeper s = { .chan = make(PT_CHAN_SHM, _i, 8, 4, 0) };
		struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
		struct pt_status st;
		pt_unit *unit;
		uint64_t cpu;

		/* a watched process that stays alive: the slices of the
		 * watch must not turn into a busy loop either */
		if (watched && _i == PT_PROCESS)
			s.watch = getpid();
		PT_ASSERT_OK(pt_unit_spawn(&opts, sleep_in_recv, &s, &unit));
		PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
		ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
		ck_assert_int_eq(st.code, 0);
		cpu = st.usage.user_ns + st.usage.system_ns;
		/* 300 ms asleep; a spinning wait would use most of it */
		ck_assert_msg(cpu < 30000000u, "%llu ns of CPU",
			      (unsigned long long)cpu);
		pt_unit_destroy(unit);
		pt_chan_destroy(s.chan);
	}
}
END_TEST

/* The adaptive wait's budget: measured once, kept, within its bounds. */
START_TEST(adaptive_spin_is_measured_once)
{
	uint64_t ns = pt_chan_adaptive_spin_ns();

	ck_assert_uint_ge(ns, 1000);
	ck_assert_uint_le(ns, 100000);
	ck_assert_uint_eq(pt_chan_adaptive_spin_ns(), ns);
}
END_TEST

/* The calibration measures a wake-up across two CPUs when it may: its
 * two threads run pinned on two different CPUs of the process's mask, and
 * the caller's own affinity is left as it was. (Unpinned, both could land
 * on one CPU and read a context switch, a fraction of a cross-CPU
 * wake-up.) */
START_TEST(adaptive_calibration_uses_two_cpus)
{
	struct pt__adaptive_probe p = { 0 };
	cpu_set_t before, after;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(before), &before), 0);
	if (CPU_COUNT(&before) < 2)
		return; /* one CPU: the next test's case */
	PT_ASSERT_OK(pt__chan_adaptive_measure(&p));
	ck_assert(p.pinned);
	ck_assert_int_eq(p.allowed, 2);
	ck_assert_int_ge(p.cpu[0], 0);
	ck_assert_int_ge(p.cpu[1], 0);
	ck_assert_int_ne(p.cpu[0], p.cpu[1]);
	ck_assert(CPU_ISSET(p.cpu[0], &before));
	ck_assert(CPU_ISSET(p.cpu[1], &before));
	ck_assert_uint_ge(p.ns, 1000);
	ck_assert_uint_le(p.ns, 100000);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(after), &after), 0);
	ck_assert(CPU_EQUAL(&before, &after));
}
END_TEST

/* With one CPU allowed, both threads share it (a peer cannot answer while
 * a waiter spins there, so the same-CPU figure is the right budget), and
 * the result still lies within the bounds. */
START_TEST(adaptive_calibration_on_one_cpu)
{
	struct pt__adaptive_probe p = { 0 };
	cpu_set_t all, one;
	int cpu = -1;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
		if (CPU_ISSET(c, &all))
			cpu = c;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	PT_ASSERT_OK(pt__chan_adaptive_measure(&p));
	ck_assert_int_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	ck_assert(!p.pinned);
	ck_assert_int_eq(p.allowed, 1);
	ck_assert_int_eq(p.cpu[0], cpu);
	ck_assert_int_eq(p.cpu[1], cpu);
	ck_assert_uint_ge(p.ns, 1000);
	ck_assert_uint_le(p.ns, 100000);
}
END_TEST

/* An adaptive wait spins, then sleeps; a never-spinning one sleeps at
 * once; one that spins for ever never sleeps. Told by the receiver's
 * scheduler state, as the kernel reports it, over a wait far longer than
 * any budget (the budget is at most 0.1 ms): asleep (S) in most samples,
 * or in none. Its CPU time would say the same on an idle machine, but
 * not on a loaded one, where a spinner gets what the others leave. */
static int wait_in_recv(void *arg)
{
	char buf[8];
	size_t len;

	return pt_chan_recv(arg, buf, sizeof(buf), &len, 1000) == -ETIMEDOUT
		       ? 0
		       : 2;
}

/* The state letter of /proc/PID/stat, or 0. */
static char proc_state(int pid)
{
	char path[64], buf[512], *close_paren, state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
	    close_paren[1] == ' ')
		state = close_paren[2];
	fclose(f);
	return state;
}

START_TEST(adaptive_wait_spins_then_sleeps)
{
	static const uint64_t modes[] = { PT_CHAN_SPIN_ADAPTIVE,
					  PT_CHAN_SPIN_NEVER,
					  PT_CHAN_SPIN_FOREVER };
	static const char *const names[] = { "adaptive", "never", "forever" };

	for (int m = 0; m < 3; m++) {
		struct pt_chan_opts opts =
			PT_CHAN_OPTS(.kind = PT_PROCESS, .max_msg_bytes = 8,
				     .capacity = 4, .spin_ns = modes[m]);
		struct pt_unit_opts uopts = PT_UNIT_OPTS(.kind = PT_PROCESS);
		struct timespec tick = { 0, 5000000 };
		struct pt_status st;
		int samples = 0, asleep = 0;
		pt_chan *chan;
		pt_unit *unit;

		PT_ASSERT_OK(pt_chan_create(&opts, &chan));
		PT_ASSERT_OK(pt_unit_spawn(&uopts, wait_in_recv, chan, &unit));
		/* From 100 ms in (the receiver is waiting by then) to
		 * 600 ms, of its 1000 ms wait. */
		for (int i = 0; i < 120; i++) {
			nanosleep(&tick, NULL);
			if (i < 20)
				continue;
			samples++;
			asleep += proc_state(pt_unit_pid(unit)) == 'S';
		}
		PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
		ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
		ck_assert_int_eq(st.code, 0);
		pt_unit_destroy(unit);
		pt_chan_destroy(chan);
		if (modes[m] == PT_CHAN_SPIN_FOREVER)
			ck_assert_msg(asleep == 0, "%s: asleep in %d of %d",
				      names[m], asleep, samples);
		else
			ck_assert_msg(asleep * 10 >= samples * 9,
				      "%s: asleep in only %d of %d", names[m],
				      asleep, samples);
	}
}
END_TEST

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

/* index: bit 0 the kind of the writer and the scribbler (thread,
 * process), bit 1 the ring's mode (SPSC, MPMC). */
START_TEST(scribbled_ring_never_hurts_the_reader)
{
	enum pt_kind kind = _i & 1 ? PT_PROCESS : PT_THREAD;
	unsigned flags = _i & 2 ? PT_CHAN_MPMC : 0;
	_Atomic int *stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct scribble s = { .stop = stop };
	pt_unit *writer, *scrib;
	int badmsg = 0, good = 1;

	ck_assert_ptr_ne(stop, MAP_FAILED);
	s.chan = make(PT_CHAN_SHM, kind, SCRIBBLE_MAX, 16, flags);
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
	pt_chan *chan = make(PT_CHAN_SHM, PT_THREAD, 64, 4, 0);
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
	pt_chan *chan = make(PT_CHAN_SHM, PT_THREAD, 8, 4, 0);
	_Atomic uint64_t *tail, *head;
	unsigned char *mem;
	char buf[8];
	size_t len;

	mem = find_ring(&len);
	ck_assert_ptr_nonnull(mem);
	tail = (_Atomic uint64_t *)(mem + 128);
	head = (_Atomic uint64_t *)(mem + 256);
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
	pt_chan *chan = make(PT_CHAN_SHM, PT_THREAD, 8, 4, 0);
	_Atomic uint64_t *seq0;
	unsigned char *mem;
	char buf[8];
	size_t len;

	mem = find_ring(&len);
	ck_assert_ptr_nonnull(mem);
	seq0 = (_Atomic uint64_t *)(mem + 640);
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
	pt_chan *chan = make(PT_CHAN_SHM, PT_PROCESS, 8, 4, 0);
	struct pt_chan_ticket t;
	pt_chan *prod, *cons;
	uint64_t v, got, want = 0;
	size_t len;

	PT_ASSERT_OK(pt_chan_ticket(chan, &t));
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
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
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
	pt_chan *chan = make(PT_CHAN_SHM, PT_THREAD, 64, 4, PT_CHAN_MPMC);
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

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *zc = pt_test_tcase("zero-copy");
	TCase *mp = pt_test_tcase("mpmc");
	TCase *cpu = pt_test_tcase("sleep");
	/* process units: not under valgrind (scripts/valgrind.sh) */
	TCase *cpu_proc = pt_test_tcase("sleep-process");
	TCase *hostile = pt_test_tcase("hostile");
	TCase *dead = pt_test_tcase("dead-member");
	int kinds = pt_test_kinds_end();

	tcase_add_loop_test(zc, zero_copy_round_trips, PT_THREAD, kinds);
	tcase_add_loop_test(zc, zero_copy_mixes_with_copies, PT_THREAD, kinds);
	tcase_add_test(zc, zero_copy_is_shm_only);
	tcase_add_test(zc, closed_ring_ends_at_a_half_committed_message);
	tcase_add_test(zc, spsc_message_writes_only_its_slot_and_head);
	tcase_add_test(zc, fresh_ring_pages_are_resident);
	tcase_add_test(zc, spsc_consumer_refuses_a_forged_sequence);
	tcase_add_test(zc, spsc_ticket_takes_over_mid_stream);
	tcase_add_loop_test(zc, spsc_threads_stream, 0, 4);
	tcase_add_loop_test(zc, spin_forever_round_trips, PT_THREAD, kinds);
	suite_add_tcase(s, zc);

	tcase_add_loop_test(mp, mpmc_delivers_each_once_in_order, 0,
			    MPMC_NT * (kinds - PT_THREAD));
	tcase_add_test(mp, stream_transports_refuse_mpmc);
	tcase_set_timeout(mp, 300);
	suite_add_tcase(s, mp);

	tcase_add_loop_test(cpu, sleeping_receiver_costs_no_cpu, PT_THREAD,
			    kinds);
	tcase_add_test(cpu, adaptive_spin_is_measured_once);
	tcase_add_test(cpu, adaptive_calibration_uses_two_cpus);
	tcase_add_test(cpu, adaptive_calibration_on_one_cpu);
	tcase_add_test(cpu_proc, adaptive_wait_spins_then_sleeps);
	suite_add_tcase(s, cpu);
	tcase_set_tags(cpu_proc, "process");
	suite_add_tcase(s, cpu_proc);

	/* The scribbler races with everyone on purpose: that is its job,
	 * and TSan would rightly say so; TSan runs the process cases only. */
#ifdef PT_TSAN
	(void)scribbled_ring_never_hurts_the_reader;
	tcase_add_test(hostile, scribbled_ring_process_only);
#else
	tcase_add_loop_test(hostile, scribbled_ring_never_hurts_the_reader, 0,
			    4);
#endif
	tcase_set_tags(hostile, "process");
	suite_add_tcase(s, hostile);

	/* the reclaim asks a pidfd, which valgrind 3.19 does not know */
	tcase_add_test(dead, mpmc_passes_a_slot_held_by_a_dead_process);
	tcase_set_tags(dead, "process");
	suite_add_tcase(s, dead);
	return s;
}

PT_TEST_MAIN(ring_suite)
