/* test_ring_sleep - a receiver that sleeps on the shared-memory ring costs
 * no CPU, and the adaptive spin is measured once, on two CPUs where it can
 * be, then spins and sleeps as measured.
 *
 * Loop tests run once per kind (the index is the kind). */
#include <procthread.h>

#include "chan/adaptive.h"
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
		struct sleeper s = { .chan = ring_make(PT_CHAN_SHM, _i, 8, 4,
						       0) };
		struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
		struct pt_status st;
		pt_unit *unit;
		uint64_t cpu;

		/* a watched process that stays alive: the slices of the
		 * watch must not turn into a busy loop either */
		if (watched && _i == PT_KIND_PROCESS)
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
			PT_CHAN_OPTS(.kind = PT_KIND_PROCESS,
				     .max_msg_bytes = 8, .capacity = 4,
				     .spin_ns = modes[m]);
		struct pt_unit_opts uopts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
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

/* A spin gives way to the peer it waits for when the two share a CPU
 * (util/spin.c): without that, a spinning side holds the CPU its peer
 * needs to answer until the scheduler's tick preempts it, a tick or more
 * per message (8 ms a round trip measured here). Both sides pinned to one
 * CPU, every call spinning for ever, a ping-pong between two processes
 * must keep to within a few times the pace of the same ping-pong with
 * calls that sleep at once (a context switch per message), measured in
 * the same test. */
#define ONE_CPU_ROUNDS 500

struct ping_pair {
	pt_chan *ping, *pong;
};

static int answer_pings(void *arg)
{
	struct ping_pair *pp = arg;
	char buf[8];
	size_t len;

	for (int i = 0; i < ONE_CPU_ROUNDS; i++) {
		if (pt_chan_recv(pp->ping, buf, sizeof(buf), &len, 10000))
			return 1;
		if (pt_chan_send(pp->pong, buf, len, 10000))
			return 2;
	}
	return 0;
}

/* Nanoseconds for ONE_CPU_ROUNDS round trips with calls spinning
 * spin_ns, to a process on the caller's CPU. */
static uint64_t one_cpu_pingpong(uint64_t spin_ns)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.kind = PT_KIND_PROCESS, .max_msg_bytes = 8,
			     .capacity = 4, .spin_ns = spin_ns);
	struct pt_unit_opts uopts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct ping_pair pp;
	struct pt_status st;
	struct timespec t0, t1;
	char buf[8] = "ping";
	pt_unit *unit;
	size_t len;

	PT_ASSERT_OK(pt_chan_create(&opts, &pp.ping));
	PT_ASSERT_OK(pt_chan_create(&opts, &pp.pong));
	PT_ASSERT_OK(pt_unit_spawn(&uopts, answer_pings, &pp, &unit));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < ONE_CPU_ROUNDS; i++) {
		PT_ASSERT_OK(pt_chan_send(pp.ping, buf, sizeof(buf), 10000));
		PT_ASSERT_OK(
			pt_chan_recv(pp.pong, buf, sizeof(buf), &len, 10000));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	pt_unit_destroy(unit);
	pt_chan_destroy(pp.ping);
	pt_chan_destroy(pp.pong);
	return (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
	       (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
}

/* Pins the caller to one CPU of its mask, saving the mask in all. */
static void pin_to_one_cpu(cpu_set_t *all)
{
	cpu_set_t one;
	int cpu = -1;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(*all), all), 0);
	for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
		if (CPU_ISSET(c, all))
			cpu = c;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
}

START_TEST(a_spin_gives_way_to_a_peer_on_its_cpu)
{
	uint64_t sleeping, spinning;
	cpu_set_t all;

	pin_to_one_cpu(&all);
	sleeping = one_cpu_pingpong(PT_CHAN_SPIN_NEVER);
	spinning = one_cpu_pingpong(PT_CHAN_SPIN_FOREVER);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	ck_assert_msg(spinning < 10 * sleeping,
		      "one CPU, %d round trips: spinning %.1f ms, sleeping "
		      "%.1f ms",
		      ONE_CPU_ROUNDS, spinning / 1e6, sleeping / 1e6);
}
END_TEST

/* The other side of giving way: when the CPU is shared with an unrelated
 * busy task, an offer hands that task a whole time slice while the answer
 * waits unread (1.4 ms a round trip measured here, against 0.04 ms for
 * calls that sleep). An adaptive wait stops offering once an offer has
 * cost that much, and sleeps after its spin as it would without offers:
 * with a busy loop on the same CPU it keeps within a few times the pace
 * of calls that sleep at once. */
START_TEST(a_busy_neighbour_costs_an_adaptive_spin_little)
{
	uint64_t sleeping, adaptive;
	cpu_set_t all;
	pid_t busy;

	pin_to_one_cpu(&all);
	busy = pt_test_fork();
	if (busy == 0)
		for (;;)
			; /* the neighbour: busy until killed */
	sleeping = one_cpu_pingpong(PT_CHAN_SPIN_NEVER);
	adaptive = one_cpu_pingpong(PT_CHAN_SPIN_ADAPTIVE);
	ck_assert_int_eq(kill(busy, SIGKILL), 0);
	ck_assert_int_eq(waitpid(busy, NULL, 0), busy);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	ck_assert_msg(adaptive < 10 * sleeping,
		      "one CPU beside a busy loop, %d round trips: adaptive "
		      "%.1f ms, sleeping %.1f ms",
		      ONE_CPU_ROUNDS, adaptive / 1e6, sleeping / 1e6);
}
END_TEST

static Suite *ring_sleep_suite(void)
{
	return PT_TEST_SUITE(
		"ring_sleep",
		{ "sleep",
		  .once = PT_TESTS(adaptive_spin_is_measured_once,
				   adaptive_calibration_uses_two_cpus,
				   adaptive_calibration_on_one_cpu),
		  .for_kinds = PT_TESTS(sleeping_receiver_costs_no_cpu) },
		{ "sleep-process",
		  .once = PT_TESTS(
			  adaptive_wait_spins_then_sleeps,
			  a_spin_gives_way_to_a_peer_on_its_cpu,
			  a_busy_neighbour_costs_an_adaptive_spin_little),
		  .tags = "process" });
}

PT_TEST_MAIN(ring_sleep_suite)
