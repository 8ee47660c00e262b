/* failure_support.c - what the failure suite's cases share: the ways a
 * unit crashes (and the stamp of the moment it does), counters and flags
 * in shared memory that threads and forked processes wait on alike, and a
 * CPU-time spin. See bench/suites/failure.h. */
#include "bench/suites/failure.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define OVERFLOW_FRAME 512

const char *failure_mode_name(enum failure_mode mode)
{
	switch (mode) {
	case FAILURE_SEGV:
		return "segv";
	case FAILURE_ABORT:
		return "abort";
	case FAILURE_STACK_OVERFLOW:
		return "stack-overflow";
	case FAILURE_KILL9:
		return "kill-9";
	}
	return "unknown";
}

/* Frames smaller than a guard page, each written, so the recursion walks
 * into the guard page rather than over it. The depth test keeps it from
 * being an infinite recursion the compiler may assume away. */
static int overflow(const volatile char *prev, size_t depth)
{
	volatile char frame[OVERFLOW_FRAME];

	for (size_t i = 0; i < sizeof(frame); i += 64)
		frame[i] = (char)(prev ? prev[i] + 1 : 1);
	if (depth == SIZE_MAX)
		return frame[0];
	return overflow(frame, depth + 1) + frame[OVERFLOW_FRAME - 1];
}

/* Where the fault handler writes the time: set once, just before the
 * crash, in a process about to die. */
static atomic_ullong *crash_stamp;

static void stamp_fault(int sig)
{
	struct timespec ts;

	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (crash_stamp)
		atomic_store(crash_stamp, (uint64_t)ts.tv_sec * 1000000000u +
						  (uint64_t)ts.tv_nsec);
	/* SA_RESETHAND restored the default action: the faulting write
	 * faults again, and abort() raises again, now fatally. */
}

static void arm_stamp(atomic_ullong *crash_ns)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT };
	struct sigaction sa = { .sa_handler = stamp_fault,
				.sa_flags = SA_ONSTACK | SA_RESETHAND };
	stack_t alt = { .ss_size = (size_t)64 * 1024 };

	crash_stamp = crash_ns;
	atomic_store(crash_ns, bench_now_ns());
	/* A stack overflow leaves no stack to run a handler on. */
	alt.ss_sp = mmap(NULL, alt.ss_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt.ss_sp == MAP_FAILED || sigaltstack(&alt, NULL) < 0)
		return; /* the stamp taken above stands */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

_Noreturn void failure_crash(enum failure_mode mode, atomic_ullong *crash_ns)
{
	volatile int *page;

	arm_stamp(crash_ns);
	switch (mode) {
	case FAILURE_SEGV:
		page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (page != MAP_FAILED)
			*page = 1;
		break;
	case FAILURE_ABORT:
		abort();
	case FAILURE_STACK_OVERFLOW:
		overflow(NULL, 0);
		break;
	case FAILURE_KILL9:
		/* SIGKILL ends a whole process, whichever thread it names. */
		syscall(SYS_tgkill, getpid(), gettid(), SIGKILL);
		break;
	}
	abort();
}

static long futex(atomic_uint *word, int op, unsigned val, int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };

	return syscall(SYS_futex, (unsigned *)word, op, val,
		       timeout_ms >= 0 ? &ts : NULL, NULL, 0);
}

void failure_bump(atomic_uint *word)
{
	atomic_fetch_add(word, 1);
	futex(word, FUTEX_WAKE, INT_MAX, -1);
}

void failure_nap(atomic_uint *word, int timeout_ms)
{
	futex(word, FUTEX_WAIT, 0, timeout_ms);
}

void failure_set(atomic_uint *word)
{
	atomic_store(word, 1);
	futex(word, FUTEX_WAKE, INT_MAX, -1);
}

int failure_await(atomic_uint *word, unsigned n, int timeout_ms)
{
	uint64_t until = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned seen;

	while ((seen = atomic_load(word)) < n) {
		if (bench_now_ns() >= until)
			return -ETIMEDOUT;
		futex(word, FUTEX_WAIT, seen, 20);
	}
	return 0;
}

bool failure_wait_set(atomic_uint *word, int timeout_ms)
{
	uint64_t until = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!atomic_load(word)) {
		if (pt_cancelled() || bench_now_ns() >= until)
			return false;
		futex(word, FUTEX_WAIT, 0, 20);
	}
	return true;
}

void *failure_share(size_t bytes)
{
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	return mem;
}

void failure_unshare(void *mem, size_t bytes)
{
	if (mem)
		munmap(mem, bytes);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void failure_spin_cpu(uint64_t ns)
{
	uint64_t until = thread_cpu_ns() + ns;

	while (thread_cpu_ns() < until)
		;
}

int failure_join(pt_unit *unit, int timeout_ms, struct pt_status *st)
{
	int rc = pt_unit_join(unit, timeout_ms, st);

	if (rc == -ETIMEDOUT && pt_unit_kind(unit) == PT_KIND_PROCESS)
		pt_unit_kill(unit, SIGKILL);
	return rc;
}

/* The unit counts of a profile: N = 2..16. */
size_t failure_unit_counts(const struct bench_ctx *ctx, const int **ns)
{
	static const int quick[] = { 2, 16 }, dflt[] = { 2, 4, 8, 16 },
			 full[] = { 2, 3, 4, 6, 8, 12, 16 };

	switch (bench_profile(ctx)) {
	case BENCH_QUICK:
		*ns = quick;
		return 2;
	case BENCH_FULL:
		*ns = full;
		return 7;
	default:
		*ns = dflt;
		return 4;
	}
}

unsigned failure_reps(const struct bench_ctx *ctx)
{
	unsigned reps = bench_reps(ctx);

	return reps < FAILURE_MAX_REPS ? reps : FAILURE_MAX_REPS;
}
