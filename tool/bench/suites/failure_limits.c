/* failure_limits.c - the control claim of the failure suite: a
 * process can be stopped and limited from outside; a thread only by its
 * own cooperation, and only together with its process.
 *
 * Stopping: a unit spins on the CPU; at the deadline the suite stops it
 * and times how long until the unit is gone (joined):
 *   stop-latency     processes: SIGKILL and reap (the unit never checks
 *                    anything); threads: pt_unit_cancel() and join, the
 *                    thread checking pt_cancelled() between 10 us slices
 *                    ("checks")
 *   stopped-in-time  share of units gone within "wait_ms" (%): a process
 *                    that never checks is killed (100); a thread that
 *                    never checks cannot be stopped at all (0): it runs in
 *                    a sacrificial process, which is what ends it
 * Resource limits: two units; the first gets RLIMIT_AS (its process's
 * size plus 64 MiB) with prlimit() on its pid or tid, then maps 1 MiB
 * chunks until refused, keeping them; then the second maps 16 MiB.
 *   units-limited    units that see the limit afterwards (units): the
 *                    kernel keeps limits per process, so a limit aimed at
 *                    one thread holds for all of its process's threads
 *   sibling-alloc    share of runs in which the second unit still got its
 *                    16 MiB (%): a process, always; a thread, never, as the
 *                    first used up the budget of the process they share
 * The memory is only mapped, never touched: the limit counts address
 * space, so nothing here uses real memory.
 * In an ASan build the limits are not measured (a note says so): ASan's
 * runtime maps memory for its own bookkeeping as the program runs and dies
 * when it cannot ("ERROR: Failed to mmap"), so a unit that uses up its
 * address space on purpose takes the runtime down with it.
 */
#include "bench/suites/failure.h"

#include <procthread/error.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define WAIT_MS	       30000
#define SLICE_NS       10000ull /* a checking thread's work between checks */
#define STOP_AFTER_MS  5	/* from the unit running to the deadline */
#define HEADROOM_BYTES ((size_t)64 << 20)
#define CHUNK_BYTES    ((size_t)1 << 20)
#define HOG_MAX_CHUNKS 4096 /* 4 GiB: a bound if the limit did not hold */
#define SIBLING_BYTES  ((size_t)16 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define ADDRESS_SPACE_OURS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADDRESS_SPACE_OURS 0
#endif
#endif
#ifndef ADDRESS_SPACE_OURS
#define ADDRESS_SPACE_OURS 1
#endif

static int emit(struct bench_ctx *ctx, const char *name, enum pt_kind kind,
		const char *unit, const struct bench_param *params,
		size_t n_params, double *v, unsigned reps)
{
	struct bench_case c = {
		.name = name,
		.kind = kind == PT_KIND_THREAD ? BENCH_THREAD : BENCH_PROCESS,
		.unit = unit,
		.params = params,
		.n_params = n_params,
		/* this suite's shares are of successes: units stopped in
		 * time, siblings that still got their memory */
		.higher_is_better = !strcmp(unit, "%"),
	};

	return bench_emit(ctx, &c, v, reps);
}

/* --- stopping ------------------------------------------------------------- */

struct stop_page {
	_Alignas(64) atomic_uint running;
	_Alignas(64) bool checks;
	int wait_ms;
	int box_outcome; /* the sacrificial process: 1 stopped, 0 not */
};

static int spinner(void *p)
{
	struct stop_page *pg = p;

	failure_bump(&pg->running);
	for (;;) {
		failure_spin_cpu(SLICE_NS);
		if (pg->checks && pt_cancelled())
			return 0;
	}
}

/* Inside a sacrificial process: a thread that never checks is asked to
 * stop and waited for. It cannot be destroyed (that would wait for ever):
 * the process ends, and takes it along. */
static int never_checking_box(void *p)
{
	struct stop_page *pg = p;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_THREAD, .name = "pt-spinner");
	struct pt_status st;
	pt_unit *unit;

	if (pt_unit_spawn(&opts, spinner, pg, &unit))
		return 1;
	if (failure_await(&pg->running, 1, WAIT_MS))
		return 1;
	pt_unit_cancel(unit);
	pg->box_outcome = pt_unit_join(unit, pg->wait_ms, &st) == 0;
	return 0;
}

/* One stop: its latency in *ns, and whether it happened within wait_ms. */
static int stop_once(enum pt_kind kind, struct stop_page *pg, double *ns,
		     double *in_time)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .name = "pt-spinner");
	struct pt_status st;
	uint64_t deadline;
	pt_unit *unit;
	int rc = pt_unit_spawn(&opts, spinner, pg, &unit);

	if (rc)
		return rc;
	rc = failure_await(&pg->running, 1, WAIT_MS);
	if (rc)
		goto out;
	/* The deadline: a few milliseconds into its run. */
	deadline = bench_now_ns() + STOP_AFTER_MS * 1000000ull;
	while (bench_now_ns() < deadline)
		;
	rc = kind == PT_KIND_PROCESS ? pt_unit_kill(unit, SIGKILL)
				     : pt_unit_cancel(unit);
	if (!rc)
		rc = failure_join(unit, pg->wait_ms, &st);
	*ns = (double)(bench_now_ns() - deadline);
	*in_time = rc == 0 && *ns <= pg->wait_ms * 1e6 ? 100 : 0;
out:
	pt_unit_destroy(unit);
	return rc;
}

static int never_checking_once(struct stop_page *pg, double *in_time)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .name = "pt-sacrificial");
	struct pt_status st;
	pt_unit *box;
	int rc = pt_unit_spawn(&opts, never_checking_box, pg, &box);

	if (rc)
		return rc;
	rc = failure_join(box, WAIT_MS + pg->wait_ms, &st);
	if (!rc && (st.how != PT_EXIT_RETURNED || st.code))
		rc = -EIO;
	*in_time = pg->box_outcome ? 100 : 0;
	pt_unit_destroy(box);
	return rc;
}

int failure_stop_cases(struct bench_ctx *ctx)
{
	struct stop_page *pg = failure_share(sizeof(*pg));
	unsigned reps = failure_reps(ctx);
	/* Generous, even on a busy machine: what is measured is whether a
	 * unit can be stopped at all, not how fast (that is stop-latency). */
	int wait_ms = 1000;
	double ns[FAILURE_MAX_REPS], in_time[FAILURE_MAX_REPS];
	int rc = 0;

	if (!pg)
		return -ENOMEM;
	bench_progress(ctx, "stopping");
	/* k: 0 a process that never checks, 1 a thread that checks, 2 a
	 * thread that never checks. */
	for (int k = 0; k < 3 && !rc; k++) {
		enum pt_kind kind = k ? PT_KIND_THREAD : PT_KIND_PROCESS;
		const struct bench_param params[] = {
			BENCH_STR("checks", k == 1 ? "every-10us" : "never"),
			BENCH_INT("wait_ms", wait_ms),
		};

		for (unsigned r = 0; r < reps && !rc; r++) {
			memset(pg, 0, sizeof(*pg));
			pg->checks = k == 1;
			pg->wait_ms = wait_ms;
			rc = k == 2 ? never_checking_once(pg, &in_time[r])
				    : stop_once(kind, pg, &ns[r], &in_time[r]);
		}
		if (rc)
			break;
		if (k < 2)
			rc |= emit(ctx, "stop-latency", kind, "ns", params, 1,
				   ns, reps);
		rc |= emit(ctx, "stopped-in-time", kind, "%", params, 2,
			   in_time, reps);
	}
	failure_unshare(pg, sizeof(*pg));
	if (rc)
		bench_note(ctx, "failure: stopping: %s", pt_strerror(rc));
	return rc;
}

/* --- resource limits --------------------------------------------------------
 */

struct limit_page;

struct limit_arg {
	struct limit_page *pg;
	int index;
};

struct limit_page {
	_Alignas(64) atomic_uint arrived;
	_Alignas(64) atomic_uint go;
	_Alignas(64) atomic_uint hog_done;
	_Alignas(64) atomic_uint sibling_done;
	_Alignas(64) atomic_int tid[2];
	struct limit_arg arg[2];
	bool limited[2]; /* it saw a finite RLIMIT_AS */
	int hog_chunks;	 /* 1 MiB chunks the first unit got */
	bool sibling_ok; /* the second unit got its 16 MiB */
	int box_error;
};

static void hog(struct limit_page *pg)
{
	static void *chunks[HOG_MAX_CHUNKS];
	int n = 0;

	while (n < HOG_MAX_CHUNKS) {
		void *p = mmap(NULL, CHUNK_BYTES, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (p == MAP_FAILED)
			break;
		chunks[n++] = p;
	}
	pg->hog_chunks = n;
	/* Hold the address space until the sibling has tried. */
	failure_set(&pg->hog_done);
	failure_wait_set(&pg->sibling_done, WAIT_MS);
	while (n--)
		munmap(chunks[n], CHUNK_BYTES);
}

static int limit_worker(void *p)
{
	struct limit_arg *a = p;
	struct limit_page *pg = a->pg;
	struct rlimit rl;
	void *mem;

	atomic_store(&pg->tid[a->index], gettid());
	failure_bump(&pg->arrived);
	if (!failure_wait_set(&pg->go, WAIT_MS))
		return 1;
	pg->limited[a->index] =
		getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
	if (a->index == 0) {
		hog(pg);
		return 0;
	}
	if (!failure_wait_set(&pg->hog_done, WAIT_MS))
		return 1;
	mem = mmap(NULL, SIBLING_BYTES, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pg->sibling_ok = mem != MAP_FAILED;
	if (mem != MAP_FAILED)
		munmap(mem, SIBLING_BYTES);
	failure_set(&pg->sibling_done);
	return 0;
}

static int limit_box(void *p)
{
	struct limit_page *pg = p;
	pt_unit *units[2] = { 0 };
	struct pt_status st;
	int rc = 0;

	for (int i = 0; i < 2 && !rc; i++) {
		struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_THREAD,
							.name = "pt-limit");

		rc = pt_unit_spawn(&opts, limit_worker, &pg->arg[i], &units[i]);
	}
	if (rc) {
		pg->box_error = rc;
		failure_bump(&pg->arrived); /* let the suite see it */
		failure_bump(&pg->arrived);
		failure_set(&pg->go);
	}
	for (int i = 0; i < 2; i++) {
		if (units[i])
			pt_unit_join(units[i], WAIT_MS, &st);
		pt_unit_destroy(units[i]);
	}
	return rc ? 1 : 0;
}

/* The virtual size of a process, from its status. */
static int vm_size(int pid, uint64_t *bytes)
{
	char path[64], buf[4096];
	const char *line;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	line = strstr(buf, "\nVmSize:");
	if (!line)
		return -EIO;
	*bytes = strtoull(line + 8, NULL, 10) * 1024;
	return 0;
}

static int limit_once(enum pt_kind kind, struct limit_page *pg, double *limited,
		      double *sibling_ok)
{
	pt_unit *units[2] = { 0 };
	struct pt_status st;
	struct rlimit lim;
	uint64_t size = 0;
	int rc = 0, pid;

	for (int i = 0; i < 2; i++)
		pg->arg[i] = (struct limit_arg){ .pg = pg, .index = i };
	for (int i = 0; i < (kind == PT_KIND_THREAD ? 1 : 2) && !rc; i++) {
		struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
							.name = "pt-limit");

		rc = kind == PT_KIND_THREAD
			     ? pt_unit_spawn(&opts, limit_box, pg, &units[0])
			     : pt_unit_spawn(&opts, limit_worker, &pg->arg[i],
					     &units[i]);
	}
	if (!rc)
		rc = failure_await(&pg->arrived, 2, WAIT_MS);
	if (!rc)
		rc = -pg->box_error;
	if (rc)
		goto out;
	/* Aimed at the first unit only: its pid, or its thread's tid. */
	pid = pt_unit_pid(units[0]);
	rc = vm_size(pid, &size);
	if (rc)
		goto out;
	lim.rlim_cur = lim.rlim_max = size + HEADROOM_BYTES;
	if (prlimit(atomic_load(&pg->tid[0]), RLIMIT_AS, &lim, NULL) < 0) {
		rc = -errno;
		goto out;
	}
	failure_set(&pg->go);
	for (int i = 0; i < 2 && !rc; i++) {
		if (!units[i])
			continue;
		rc = failure_join(units[i], WAIT_MS, &st);
		if (!rc && (st.how != PT_EXIT_RETURNED || st.code))
			rc = -EIO;
	}
	*limited = pg->limited[0] + pg->limited[1];
	*sibling_ok = pg->sibling_ok ? 100 : 0;
out:
	failure_set(&pg->go);
	failure_set(&pg->sibling_done);
	for (int i = 0; i < 2; i++)
		pt_unit_destroy(units[i]);
	return rc;
}

int failure_limit_cases(struct bench_ctx *ctx)
{
	struct limit_page *pg;
	const struct bench_param params[] = {
		BENCH_STR("limit", "RLIMIT_AS"),
	};
	unsigned reps = failure_reps(ctx);
	double limited[FAILURE_MAX_REPS], ok[FAILURE_MAX_REPS];
	int rc = 0;

	if (!ADDRESS_SPACE_OURS) {
		bench_note(ctx, "failure: resource limits: not measured in "
				"an ASan build (its runtime dies when the "
				"address space runs out)");
		return 0;
	}
	pg = failure_share(sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	bench_progress(ctx, "resource limits");
	for (int k = 0; k < 2 && !rc; k++) {
		enum pt_kind kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD;

		for (unsigned r = 0; r < reps && !rc; r++) {
			memset(pg, 0, sizeof(*pg));
			rc = limit_once(kind, pg, &limited[r], &ok[r]);
		}
		if (rc)
			break;
		rc |= emit(ctx, "units-limited", kind, "units", params, 1,
			   limited, reps);
		rc |= emit(ctx, "sibling-alloc", kind, "%", params, 1, ok,
			   reps);
	}
	failure_unshare(pg, sizeof(*pg));
	if (rc)
		bench_note(ctx, "failure: resource limits: %s",
			   pt_strerror(rc));
	return rc;
}
