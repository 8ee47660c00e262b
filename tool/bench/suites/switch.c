/* switch.c - the scheduling claim: what a switch between two threads
 * costs versus a switch between two processes.
 *
 * Token passing: side A (this thread) and side B (a pt_unit of the case's
 * kind) sit on one CPU and pass a token back and forth, so each round trip
 * is two context switches. The token is a futex word or a byte over a pair
 * of pipes; both kinds run the same code on the same MAP_SHARED page (a
 * process-shared futex even between threads), so the only difference left
 * is the change of address space. Each side touches its own working set
 * (0, 64 KiB or 1 MiB, one write per cache line) on its turn, which shows
 * what the caches and TLB lose across that change.
 *
 * Wake-up latency: A on CPU A stamps the clock and wakes B, asleep on CPU
 * B in futex_wait; B reads the clock as soon as it runs. CLOCK_MONOTONIC
 * is one clock for all CPUs, so the difference is the wake-up latency.
 * A sample where B had not yet gone to sleep (its futex_wait returned at
 * once) is retaken.
 *
 * Records: "token-pass" (ns per round trip) with params "transport"
 * (futex, pipe) and "working_set" (bytes); "wakeup" (ns) with "transport".
 */
#include "bench/engine/bench.h"
#include "bench/peers/peers.h"

#include <procthread/unit.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_RETRIES 1000

/* The page both sides share, between threads or processes: every field is
 * atomic, and fields written by different sides sit on separate cache
 * lines. */
struct shared {
	_Alignas(64) atomic_uint turn; /* 0: A holds the token, 1: B */
	_Alignas(64) atomic_uint stop;
	_Alignas(64) atomic_uint seq; /* bumped by A to wake B */
	_Atomic uint64_t stamp_ns;    /* A's clock just before the wake */
	_Alignas(64) atomic_uint ack; /* bumped by B once it measured */
	atomic_uint waiting;	      /* B is about to sleep */
	_Atomic uint64_t latency_ns;
	atomic_int slept; /* B's futex_wait really slept */
};

struct pass {
	struct shared *sh;
	int transport; /* 0 futex, 1 pipe */
	size_t ws;
	char *ws_a, *ws_b;
	int to_b[2], to_a[2];
	enum pt_kind kind;
	pt_unit *unit;
};

static long futex_wait(atomic_uint *word, unsigned val)
{
	return syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void touch(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 64)
		buf[i]++;
	bench_keep(buf);
}

static int side_b_futex(struct pass *p)
{
	struct shared *sh = p->sh;

	for (;;) {
		while (atomic_load(&sh->turn) == 0)
			futex_wait(&sh->turn, 0);
		if (atomic_load(&sh->stop))
			return 0;
		touch(p->ws_b, p->ws);
		atomic_store(&sh->turn, 0);
		futex_wake(&sh->turn);
	}
}

static int side_b_pipe(struct pass *p)
{
	char c;

	for (;;) {
		if (read(p->to_b[0], &c, 1) != 1 || c == 'q')
			return 0;
		touch(p->ws_b, p->ws);
		if (write(p->to_a[1], &c, 1) != 1)
			return 1;
	}
}

static int side_b(void *arg)
{
	struct pass *p = arg;

	return p->transport ? side_b_pipe(p) : side_b_futex(p);
}

static int run_futex(void *arg, uint64_t n)
{
	struct pass *p = arg;
	struct shared *sh = p->sh;

	for (uint64_t i = 0; i < n; i++) {
		touch(p->ws_a, p->ws);
		atomic_store(&sh->turn, 1);
		futex_wake(&sh->turn);
		while (atomic_load(&sh->turn) == 1)
			futex_wait(&sh->turn, 1);
	}
	return 0;
}

static int run_pipe(void *arg, uint64_t n)
{
	struct pass *p = arg;
	char c = 't';

	for (uint64_t i = 0; i < n; i++) {
		touch(p->ws_a, p->ws);
		if (write(p->to_b[1], &c, 1) != 1 ||
		    read(p->to_a[0], &c, 1) != 1)
			return -EPIPE;
	}
	return 0;
}

static void *map_shared(size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	return mem;
}

static int pass_setup(void *arg, const struct bench_where *where)
{
	struct pass *p = arg;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = p->kind, .name = "pt-bench-peer",
			     .cpu_mask = bench_cpu_mask(where, 1));
	int rc;

	p->sh = map_shared(sizeof(*p->sh));
	/* Each side's working set is its own (a process gets a copy of
	 * B's), allocated here so no side calls malloc after a fork. */
	p->ws_a = p->ws ? calloc(1, p->ws) : NULL;
	p->ws_b = p->ws ? calloc(1, p->ws) : NULL;
	p->to_b[0] = p->to_b[1] = p->to_a[0] = p->to_a[1] = -1;
	if (!p->sh || (p->ws && (!p->ws_a || !p->ws_b)))
		return -ENOMEM;
	if (p->transport &&
	    (pipe2(p->to_b, O_CLOEXEC) || pipe2(p->to_a, O_CLOEXEC)))
		return -errno;
	rc = pt_unit_spawn(&opts, side_b, p, &p->unit);
	return rc;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Stops side B (whatever it waits on) and frees everything setup made. */
static void pass_teardown(void *arg)
{
	struct pass *p = arg;
	struct pt_status st;

	if (p->unit) {
		atomic_store(&p->sh->stop, 1);
		atomic_store(&p->sh->turn, 1);
		futex_wake(&p->sh->turn);
		atomic_fetch_add(&p->sh->seq, 1);
		futex_wake(&p->sh->seq);
		if (p->transport)
			(void)!write(p->to_b[1], "q", 1);
		pt_unit_join(p->unit, 5000, &st);
		pt_unit_destroy(p->unit);
		p->unit = NULL;
	}
	close_fd(&p->to_b[0]);
	close_fd(&p->to_b[1]);
	close_fd(&p->to_a[0]);
	close_fd(&p->to_a[1]);
	free(p->ws_a);
	free(p->ws_b);
	p->ws_a = p->ws_b = NULL;
	if (p->sh)
		munmap(p->sh, sizeof(*p->sh));
	p->sh = NULL;
}

/* --- wake-up latency ---------------------------------------------------- */

static int side_b_wakeup(void *arg)
{
	struct shared *sh = ((struct pass *)arg)->sh;
	unsigned seen = atomic_load(&sh->seq);

	for (;;) {
		int slept = 0;
		uint64_t t1;

		atomic_store(&sh->waiting, 1);
		while (atomic_load(&sh->seq) == seen)
			if (futex_wait(&sh->seq, seen) == 0)
				slept = 1;
		t1 = bench_now_ns();
		if (atomic_load(&sh->stop))
			return 0;
		seen = atomic_load(&sh->seq);
		atomic_store(&sh->latency_ns, t1 - atomic_load(&sh->stamp_ns));
		atomic_store(&sh->slept, slept);
		atomic_fetch_add(&sh->ack, 1);
		futex_wake(&sh->ack);
	}
}

static int sample_wakeup(void *arg, double *value)
{
	struct pass *p = arg;
	struct shared *sh = p->sh;
	/* Long enough for B to be in the kernel, asleep, with its CPU idle. */
	const struct timespec settle = { .tv_nsec = 50000 };

	for (int tries = 0; tries < MAX_RETRIES; tries++) {
		unsigned ack = atomic_load(&sh->ack);

		while (!atomic_load(&sh->waiting))
			sched_yield();
		atomic_store(&sh->waiting, 0);
		nanosleep(&settle, NULL);
		atomic_store(&sh->stamp_ns, bench_now_ns());
		atomic_fetch_add(&sh->seq, 1);
		futex_wake(&sh->seq);
		while (atomic_load(&sh->ack) == ack)
			futex_wait(&sh->ack, ack);
		if (atomic_load(&sh->slept)) {
			*value = (double)atomic_load(&sh->latency_ns);
			return 0;
		}
	}
	return -EAGAIN;
}

static int wakeup_setup(void *arg, const struct bench_where *where)
{
	struct pass *p = arg;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = p->kind, .name = "pt-bench-peer",
			     .cpu_mask = bench_cpu_mask(where, 1));

	p->sh = map_shared(sizeof(*p->sh));
	p->to_b[0] = p->to_b[1] = p->to_a[0] = p->to_a[1] = -1;
	if (!p->sh)
		return -ENOMEM;
	return pt_unit_spawn(&opts, side_b_wakeup, p, &p->unit);
}

/* --- the suite ---------------------------------------------------------- */

static int token_cases(struct bench_ctx *ctx)
{
	static const char *const transports[] = { "futex", "pipe" };
	static const size_t sets[] = { 0, (size_t)64 << 10, (size_t)1 << 20 };
	static const enum bench_kind kinds[] = { BENCH_THREAD, BENCH_PROCESS };
	int rc = 0;

	for (int t = 0; t < 2; t++) {
		for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
			for (int k = 0; k < 2; k++) {
				const struct bench_param params[] = {
					BENCH_STR("transport", transports[t]),
					BENCH_INT("working_set", sets[s]),
				};
				struct pass p = {
					.transport = t,
					.ws = sets[s],
					.kind = kinds[k] == BENCH_THREAD
							? PT_KIND_THREAD
							: PT_KIND_PROCESS,
				};
				struct bench_case c = {
					.name = "token-pass",
					.kind = kinds[k],
					.place = BENCH_SAME_CPU,
					BENCH_PARAMS(params),
					.setup = pass_setup,
					.run = t ? run_pipe : run_futex,
					.teardown = pass_teardown,
					.arg = &p,
				};

				if (bench_measure(ctx, &c))
					rc = -1;
			}
		}
	}
	return rc;
}

static int wakeup_cases(struct bench_ctx *ctx)
{
	static const struct bench_param params[] = {
		BENCH_STR("transport", "futex"),
	};
	int rc = 0;

	if (!bench_has_two_cpus(ctx)) {
		bench_note(ctx, "switch: one usable CPU; cross-CPU wake-up "
				"cases skipped");
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		struct pass p = { .kind = k ? PT_KIND_PROCESS
					    : PT_KIND_THREAD };
		struct bench_case c = {
			.name = "wakeup",
			.kind = k ? BENCH_PROCESS : BENCH_THREAD,
			.place = BENCH_CROSS_CPU,
			BENCH_PARAMS(params),
			.setup = wakeup_setup,
			.sample = sample_wakeup,
			.teardown = pass_teardown,
			.arg = &p,
		};

		if (bench_measure(ctx, &c))
			rc = -1;
	}
	return rc;
}

static int switch_run(struct bench_ctx *ctx)
{
	int rc = token_cases(ctx);

	return wakeup_cases(ctx) ? -1 : rc;
}

const struct bench_suite bench_suite_switch = {
	.name = "switch",
	.summary = "context switch (token passing on one CPU) and cross-CPU "
		   "wake-up, thread versus process",
	.run = switch_run,
	.peers = bench_switch_peers,
	.peer_tools = "perf bench sched pipe, hackbench",
	.est_s = { 8, 30, 100 },
};
