/* test_alloc_failure - the allocation-failure sweep, after SQLite's: each
 * public call that allocates is run again and again with its 1st, 2nd, ...
 * Nth allocation failing, until a run needs no more than were allowed. Each
 * run must return -ENOMEM (or succeed, where the call can do without), and
 * leave nothing behind: no block, descriptor, child or mapping.
 *
 * The library's calls to malloc, calloc, realloc, aligned_alloc, free and
 * mmap reach the wrappers below through the linker (-Wl,--wrap, set for
 * this program in tests/CMakeLists.txt). Allocations made inside libc or
 * libseccomp (fopen, pthread_create, seccomp_init) are not seen. The
 * wrappers count the blocks they handed out and got back, so a leak fails
 * here in any build, and LeakSanitizer reports it in `make asan`. Blocks
 * are tracked by address, not counted, because Check frees memory that libc
 * allocated for it (strdup) through the same wrapped free(). */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- the wrappers ------------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void __real_free(void *p);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
void __wrap_free(void *p);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);

/* Armed: the fail_at-th allocation from now fails (1: the next). The
 * counters are atomic because units run on threads of this process. */
static atomic_long countdown; /* 0: disarmed */
static atomic_long seen;      /* allocations while armed */
static atomic_bool injected;  /* the failure happened */

/* The blocks handed out while tracking, by address; units on threads of
 * this process allocate too, hence the lock. */
#define TRACK_MAX 4096
static atomic_bool tracking;
static atomic_flag track_lock = ATOMIC_FLAG_INIT;
static void *tracked[TRACK_MAX];
static long ntracked;

static void track_lock_take(void)
{
	while (atomic_flag_test_and_set(&track_lock))
		;
}

static void track(void *p)
{
	if (!p || !atomic_load(&tracking))
		return;
	track_lock_take();
	for (int i = 0; i < TRACK_MAX; i++)
		if (!tracked[i]) {
			tracked[i] = p;
			ntracked++;
			break;
		}
	atomic_flag_clear(&track_lock);
}

static void untrack(void *p)
{
	if (!p)
		return;
	track_lock_take();
	for (int i = 0; ntracked && i < TRACK_MAX; i++)
		if (tracked[i] == p) {
			tracked[i] = NULL;
			ntracked--;
			break;
		}
	atomic_flag_clear(&track_lock);
}

static bool should_fail(void)
{
	long left;

	if (atomic_load(&countdown) == 0)
		return false;
	atomic_fetch_add(&seen, 1);
	left = atomic_fetch_sub(&countdown, 1);
	if (left == 1) {
		atomic_store(&injected, true);
		return true;
	}
	if (left <= 0)
		atomic_store(&countdown, 0);
	return false;
}

static void *counted(void *p)
{
	track(p);
	return p;
}

void *__wrap_malloc(size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return counted(__real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return counted(__real_calloc(n, size));
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return counted(__real_aligned_alloc(align, n));
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	q = __real_realloc(p, n);
	if (q && q != p) {
		untrack(p);
		track(q);
	}
	return q;
}

void __wrap_free(void *p)
{
	untrack(p);
	__real_free(p);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	if (should_fail()) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

static void arm(long fail_at)
{
	atomic_store(&seen, 0);
	atomic_store(&injected, false);
	atomic_store(&countdown, fail_at);
}

/* Disarms; true when the failure was injected in this run. */
static bool disarm(void)
{
	atomic_store(&countdown, 0);
	return atomic_load(&injected);
}

/* --- the sweep --------------------------------------------------------- */

/* One public call, run with allocations failing: make creates what the
 * call makes and returns its result; undo frees what a successful make
 * made. */
struct op {
	const char *name;
	int (*make)(int variant, void **made);
	void (*undo)(void *made);
};

#define MAX_STEPS 200

/* Runs op with the 1st, 2nd, ... allocation failing until a run completes
 * with no failure left to inject. */
static void sweep(const struct op *op, int variant)
{
	struct pt_ledger before, after;
	void *warm = NULL;
	int step;

	/* One run unarmed first: what glibc keeps for later (a cached
	 * thread stack) is then in the ledger before. */
	ck_assert_int_eq(op->make(variant, &warm), 0);
	op->undo(warm);
	pt_ledger_take(&before);
	for (step = 1; step <= MAX_STEPS; step++) {
		void *made = NULL;
		bool failed_one;
		long left;
		int rc;

		atomic_store(&tracking, true);
		arm(step);
		rc = op->make(variant, &made);
		failed_one = disarm();
		ck_assert_msg(rc == 0 || (failed_one && rc == -ENOMEM),
			      "%s (variant %d), allocation %d failing: %s",
			      op->name, variant, step, pt_strerror(rc));
		if (rc == 0)
			op->undo(made);
		atomic_store(&tracking, false);
		track_lock_take();
		left = ntracked;
		atomic_flag_clear(&track_lock);
		ck_assert_msg(left == 0,
			      "%s (variant %d), allocation %d failing: "
			      "%ld blocks leaked",
			      op->name, variant, step, left);
		pt_ledger_take(&after);
		pt_ledger_assert_same(&before, &after);
		if (!failed_one)
			break;
	}
	ck_assert_msg(step > 1,
		      "%s allocated nothing: the wrappers are not "
		      "linked in",
		      op->name);
	ck_assert_int_le(step, MAX_STEPS);
}

/* units: spawn, join and destroy, both kinds, with and without a sandbox */

static int return_7(void *arg)
{
	(void)arg;
	return 7;
}

/* The units swept, one row per variant, indexed by kind (which is the
 * loop test's index), then the sandboxed process. */
static const struct unit_case {
	const char *name;
	enum pt_kind kind;
	bool sandboxed;
} unit_cases[] = {
	[PT_KIND_THREAD] = { "thread", PT_KIND_THREAD, false },
	[PT_KIND_PROCESS] = { "process", PT_KIND_PROCESS, false },
	[PT_KIND_PROCESS + 1] = { "sandboxed process", PT_KIND_PROCESS, true },
};
#define SANDBOXED_PROCESS (PT_KIND_PROCESS + 1) /* its row */

static int unit_make(int variant, void **made)
{
	const struct unit_case *c = &unit_cases[variant];
	struct pt_sandbox sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = c->kind, .result_capacity = 16,
			     .sandbox = c->sandboxed ? &sb : NULL);
	struct pt_status st;
	pt_unit *unit = NULL;
	int rc = pt_unit_spawn(&opts, return_7, NULL, &unit);

	if (rc)
		return rc;
	/* No ck_assert while armed: Check allocates too. */
	rc = pt_unit_join(unit, -1, &st);
	if (!rc && st.code != 7)
		rc = -EPROTO;
	if (rc) {
		pt_unit_destroy(unit);
		return rc;
	}
	*made = unit;
	return 0;
}

static void unit_undo(void *made)
{
	pt_unit_destroy(made);
}

static const struct op unit_op = { "pt_unit_spawn", unit_make, unit_undo };

START_TEST(unit_spawn_survives_allocation_failure)
{
	pt_test_case(unit_cases[_i].name);
	sweep(&unit_op, _i);
}
END_TEST

START_TEST(sandboxed_spawn_survives_allocation_failure)
{
	pt_test_case(unit_cases[SANDBOXED_PROCESS].name);
	sweep(&unit_op, SANDBOXED_PROCESS);
}
END_TEST

/* regions: anonymous and named, and a named one opened again */

static const struct region_case {
	const char *name;
	unsigned flags;
} region_cases[] = {
	{ "anonymous", 0 },
	{ "named", PT_REGION_NAMED },
};
#define N_REGION_CASES (int)(sizeof(region_cases) / sizeof(region_cases[0]))

static int region_make(int variant, void **made)
{
	return pt_region_create(1 << 16, region_cases[variant].flags,
				(pt_region **)made);
}

static void region_undo(void *made)
{
	pt_region_destroy(made);
}

static const struct op region_op = { "pt_region_create", region_make,
				     region_undo };

START_TEST(region_create_survives_allocation_failure)
{
	pt_test_case(region_cases[_i].name);
	sweep(&region_op, _i);
}
END_TEST

static pt_region *named; /* opened by region_open_make */

static int region_open_make(int variant, void **made)
{
	(void)variant;
	return pt_region_open(pt_region_name(named), (pt_region **)made);
}

static const struct op region_open_op = { "pt_region_open", region_open_make,
					  region_undo };

START_TEST(region_open_survives_allocation_failure)
{
	PT_ASSERT_OK(pt_region_create(1 << 16, PT_REGION_NAMED, &named));
	sweep(&region_open_op, 0);
	pt_region_destroy(named);
}
END_TEST

static int sock[2]; /* region_recv_make's socket pair */

static int region_recv_make(int variant, void **made)
{
	/* The sender's side runs unarmed: only the receiver is swept. */
	long saved = atomic_exchange(&countdown, 0);
	pt_region *region;

	(void)variant;
	PT_ASSERT_OK(pt_region_create(4096, 0, &region));
	PT_ASSERT_OK(pt_region_send_fd(region, sock[0]));
	pt_region_destroy(region);
	atomic_store(&countdown, saved);
	return pt_region_recv_fd(sock[1], (pt_region **)made);
}

static const struct op region_recv_op = { "pt_region_recv_fd", region_recv_make,
					  region_undo };

START_TEST(region_recv_survives_allocation_failure)
{
	ck_assert_int_eq(
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock), 0);
	sweep(&region_recv_op, 0);
	close(sock[0]);
	close(sock[1]);
}
END_TEST

/* channels: every transport, for threads and for processes */

static const struct chan_case {
	const char *name;
	enum pt_chan_transport transport;
	enum pt_kind kind;
} chan_cases[] = {
	{ "shm, threads", PT_CHAN_SHM, PT_KIND_THREAD },
	{ "pipe, threads", PT_CHAN_PIPE, PT_KIND_THREAD },
	{ "unix, threads", PT_CHAN_UNIX, PT_KIND_THREAD },
	{ "seqpacket, threads", PT_CHAN_SEQPACKET, PT_KIND_THREAD },
	{ "mqueue, threads", PT_CHAN_MQUEUE, PT_KIND_THREAD },
	{ "tcp, threads", PT_CHAN_TCP, PT_KIND_THREAD },
	{ "locked, threads", PT_CHAN_LOCKED, PT_KIND_THREAD },
	{ "shm, processes", PT_CHAN_SHM, PT_KIND_PROCESS },
	{ "pipe, processes", PT_CHAN_PIPE, PT_KIND_PROCESS },
	{ "unix, processes", PT_CHAN_UNIX, PT_KIND_PROCESS },
	{ "seqpacket, processes", PT_CHAN_SEQPACKET, PT_KIND_PROCESS },
	{ "mqueue, processes", PT_CHAN_MQUEUE, PT_KIND_PROCESS },
	{ "tcp, processes", PT_CHAN_TCP, PT_KIND_PROCESS },
	{ "locked, processes", PT_CHAN_LOCKED, PT_KIND_PROCESS },
};
#define N_CHAN_CASES (int)(sizeof(chan_cases) / sizeof(chan_cases[0]))
_Static_assert(N_CHAN_CASES == 2 * PT_CHAN_TRANSPORT_COUNT,
	       "a row for every transport pt_chan_create() makes, each kind");

/* The rows of the kinds support/kinds.h runs (threads come first). */
static int chan_cases_end(void)
{
	int n = 0;

	while (n < N_CHAN_CASES &&
	       (int)chan_cases[n].kind < pt_test_kinds_end())
		n++;
	return n;
}

static int chan_make(int variant, void **made)
{
	const struct chan_case *c = &chan_cases[variant];
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = c->transport, .kind = c->kind,
			     .max_msg_bytes = 256);
	pt_chan *chan = NULL;
	char buf[256] = "ping";
	size_t len = 0;
	int rc;

	rc = pt_chan_create(&opts, &chan);
	if (rc == -ENOTSUP) /* LOCKED between processes, as documented */
		return 0;
	if (rc)
		return rc;
	/* One message through, so what the first send or receive sets up
	 * is swept too. */
	rc = pt_chan_send(chan, buf, 5, 1000);
	if (!rc)
		rc = pt_chan_recv(chan, buf, sizeof(buf), &len, 1000);
	if (rc) {
		pt_chan_destroy(chan);
		return rc;
	}
	*made = chan;
	return 0;
}

static void chan_undo(void *made)
{
	pt_chan_destroy(made);
}

static const struct op chan_op = { "pt_chan_create", chan_make, chan_undo };

START_TEST(chan_create_survives_allocation_failure)
{
	pt_test_case(chan_cases[_i].name);
	sweep(&chan_op, _i);
}
END_TEST

static Suite *alloc_suite(void)
{
	return PT_TEST_SUITE(
		"alloc_failure",
		{ "units", .for_kinds = PT_TESTS(
				   unit_spawn_survives_allocation_failure) },
		{ "regions",
		  .once = PT_TESTS(region_open_survives_allocation_failure,
				   region_recv_survives_allocation_failure),
		  .for_rows =
			  PT_TESTS(region_create_survives_allocation_failure),
		  .rows = N_REGION_CASES },
		{ "channels",
		  .for_rows = PT_TESTS(chan_create_survives_allocation_failure),
		  .rows = chan_cases_end() },
		{ "sandboxed units",
		  .once = PT_TESTS(sandboxed_spawn_survives_allocation_failure),
		  .skip = pt_test_kinds_end() <= PT_KIND_PROCESS });
}

PT_TEST_MAIN(alloc_suite)
