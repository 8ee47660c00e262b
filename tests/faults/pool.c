/* pool.c - the pool scenario of the fault-schedule test.
 *
 * A pool of thread or process workers (process workers forked directly or
 * by the fork-server, the pool made by the main thread or by a thread that
 * exits at once) runs a stream of tasks of four kinds - ok (returns a value
 * computed from its argument), fail (returns 7), crash (SIGSEGV, process
 * pools only), slow (runs past the task timeout) - while a fault thread
 * kills workers with SIGKILL, stops and continues them, signals the whole
 * process group, or kills the fork-server (and, once, its twin too, so
 * that no worker can be started).
 *
 * The model: each task resolves exactly once, within a bound, with the
 * status its kind implies, unless a fault hit it. A fault may cost at most
 * the tasks it can reach: one per worker killed, every running task when
 * the fork-server dies (its children die with it), one that runs out of
 * time while its worker is stopped; none for a signal to the group the
 * program handles. Once no worker
 * can start, the tasks left must still resolve (not ok), never hang. An ok
 * result must be the right value; a draining shutdown that returns 0 must
 * leave nothing queued or running; futures stay resolved after the pool is
 * destroyed; the descriptors and children are back to where they were. */
#include "faults/faults.h"

#include <procthread.h>

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TASKS   200
#define WORKER_NAME "ptf-worker"
#define FAIL_CODE   7

enum task_kind { T_OK, T_FAIL, T_CRASH, T_SLOW, T_EDGE };
static const char *const kind_names[] = { "ok", "fail", "crash", "slow",
					  "edge" };

struct task_arg {
	uint32_t kind;
	uint32_t value;
	uint32_t sleep_us;
	uint32_t timeout_ms;
};

static uint64_t expected_value(uint32_t value)
{
	return (uint64_t)value * 2654435761u + 17;
}

static int task_fn(const void *arg, size_t len, struct pt_task_out *out)
{
	struct task_arg a;
	uint64_t result;

	if (len != sizeof(a))
		return 99;
	memcpy(&a, arg, sizeof(a));
	switch (a.kind) {
	case T_FAIL:
		return FAIL_CODE;
	case T_CRASH:
		raise(SIGSEGV);
		return 98;
	case T_SLOW:
		/* Past the deadline; a thread worker is asked to stop. */
		for (uint32_t t = 0; t < a.timeout_ms * 4 && !pt_cancelled();
		     t++)
			usleep(1000);
		return 0;
	default:
		break;
	}
	if (a.sleep_us)
		usleep(a.sleep_us);
	result = expected_value(a.value);
	if (out->cap < sizeof(result))
		return 97;
	memcpy(out->data, &result, sizeof(result));
	out->len = sizeof(result);
	return 0;
}

enum fault {
	F_KILL_WORKER,
	F_STOP_CONT,
	F_GROUP_SIGNAL,
	F_KILL_SERVER,
	F_KILL_SERVER_AND_TWIN,
	F_NOFILE,
	F_NPROC,
	F_COUNT
};

struct scenario {
	struct faults_rng *rng; /* the main thread's */
	struct faults_rng frng; /* the fault thread's own */
	struct faults_log *log;
	enum pt_kind kind;
	bool via_server;
	unsigned workers;
	uint32_t timeout_ms;
	pt_pool *pool;
	/* What the faults may cost, counted by the fault thread. */
	atomic_uint allowance;
	atomic_bool no_workers; /* server and twin killed */
	atomic_bool stopped;	/* a worker was stopped for a while */
	atomic_bool starved;	/* a limit kept workers from starting */
	bool unprivileged;	/* runs as nobody: RLIMIT_NPROC applies */
	atomic_bool stop_faults;
	unsigned nfaults;
	enum fault faults[4];
	unsigned fault_at_ms[4];
};

static size_t worker_pids(int *pids, size_t max)
{
	return faults_find_procs(WORKER_NAME, pids, max);
}

/* The fork-server's twin: its child named pt-fs-standby. */
static int twin_of_server(void)
{
	int twins[4];
	size_t n = faults_find_procs("pt-fs-standby", twins, 4);

	return n ? twins[0] : 0;
}

/* Lowers RLIMIT_NOFILE to the descriptors open now, or RLIMIT_NPROC to
 * the processes that exist (as nobody: root is exempt), kills a worker so
 * that one must be started under the limit, and lifts the limit again
 * after a while. Tasks may then resolve as no-worker or killed. */
static void exhaust(struct scenario *sc, enum fault f)
{
	int resource = f == F_NOFILE ? RLIMIT_NOFILE : RLIMIT_NPROC;
	struct faults_ledger now;
	struct rlimit saved, low;
	int pids[16];
	size_t n;

	if (getrlimit(resource, &saved) < 0)
		return;
	faults_ledger_take(&now);
	low = saved;
	if (f == F_NOFILE) {
		low.rlim_cur = (rlim_t)now.fds + 1;
	} else {
		if (!sc->unprivileged)
			return;
		low.rlim_cur = 1; /* below what this user runs already */
	}
	faults_note(sc->log, " %s", f == F_NOFILE ? "nofile" : "nproc");
	atomic_store(&sc->starved, true);
	atomic_fetch_add(&sc->allowance, 1);
	setrlimit(resource, &low);
	n = worker_pids(pids, 16);
	if (n && sc->kind == PT_KIND_PROCESS)
		kill(pids[faults_below(&sc->frng, (unsigned)n)], SIGKILL);
	faults_sleep_ms(50 + faults_below(&sc->frng, 300));
	setrlimit(resource, &saved);
}

static void inject(struct scenario *sc, enum fault f)
{
	int pids[16];
	size_t n;

	switch (f) {
	case F_KILL_WORKER:
		n = worker_pids(pids, 16);
		if (n == 0)
			break;
		faults_note(sc->log, " kill-worker");
		atomic_fetch_add(&sc->allowance, 1);
		kill(pids[faults_below(&sc->frng, (unsigned)n)], SIGKILL);
		break;
	case F_STOP_CONT:
		n = worker_pids(pids, 16);
		if (n == 0)
			break;
		faults_note(sc->log, " stop-cont");
		/* Its task may run out of time while it is stopped. */
		atomic_fetch_add(&sc->allowance, 1);
		atomic_store(&sc->stopped, true);
		n = faults_below(&sc->frng, (unsigned)n);
		kill(pids[n], SIGSTOP);
		faults_sleep_ms(20 + faults_below(&sc->frng, 30));
		kill(pids[n], SIGCONT);
		break;
	case F_GROUP_SIGNAL:
		faults_signal_group(&sc->frng, sc->log);
		break;
	case F_KILL_SERVER: {
		int server = pt_forkserver_pid();

		if (server <= 0)
			break;
		faults_note(sc->log, " kill-server");
		/* Its children, our workers, die with it. */
		atomic_fetch_add(&sc->allowance, sc->workers);
		kill(server, SIGKILL);
		break;
	}
	case F_KILL_SERVER_AND_TWIN: {
		int server = pt_forkserver_pid();
		int twin;

		if (server <= 0)
			break;
		faults_note(sc->log, " kill-server-and-twin");
		atomic_store(&sc->no_workers, true);
		/* Stopped, it cannot fork a new twin meanwhile. */
		kill(server, SIGSTOP);
		twin = twin_of_server();
		if (twin > 0)
			kill(twin, SIGKILL);
		kill(server, SIGKILL);
		break;
	}
	case F_NOFILE:
	case F_NPROC:
		exhaust(sc, f);
		break;
	default:
		break;
	}
}

static void *fault_thread(void *arg)
{
	struct scenario *sc = arg;
	uint64_t start = faults_now_ns();

	for (unsigned i = 0; i < sc->nfaults; i++) {
		while (!atomic_load(&sc->stop_faults) &&
		       (faults_now_ns() - start) / 1000000u <
			       sc->fault_at_ms[i])
			faults_sleep_ms(1);
		if (atomic_load(&sc->stop_faults))
			break;
		inject(sc, sc->faults[i]);
	}
	return NULL;
}

static void draw_faults(struct scenario *sc)
{
	sc->nfaults = faults_below(sc->rng, 4);
	for (unsigned i = 0; i < sc->nfaults; i++) {
		enum fault f = (enum fault)faults_below(sc->rng, F_COUNT);

		if (sc->kind == PT_KIND_THREAD &&
		    (f == F_KILL_WORKER || f == F_STOP_CONT))
			f = F_GROUP_SIGNAL;
		if (!sc->via_server &&
		    (f == F_KILL_SERVER || f == F_KILL_SERVER_AND_TWIN))
			f = F_KILL_WORKER;
		if (sc->kind == PT_KIND_THREAD && f == F_KILL_WORKER)
			f = F_GROUP_SIGNAL;
		sc->faults[i] = f;
		sc->fault_at_ms[i] = faults_below(sc->rng, 150);
	}
	/* In time order, so the fault thread can walk them. */
	for (unsigned i = 1; i < sc->nfaults; i++)
		for (unsigned j = i;
		     j > 0 && sc->fault_at_ms[j - 1] > sc->fault_at_ms[j];
		     j--) {
			unsigned t = sc->fault_at_ms[j];

			sc->fault_at_ms[j] = sc->fault_at_ms[j - 1];
			sc->fault_at_ms[j - 1] = t;
		}
}

struct creator {
	const struct pt_pool_opts *opts;
	struct scenario *sc;
	int rc;
};

/* The pool made by a thread that ends at once: it must outlive it. */
static void *create_on_thread(void *arg)
{
	struct creator *c = arg;

	c->rc = pt_pool_create(c->opts, &c->sc->pool);
	return NULL;
}

/* Whether a task's end is what its kind implies. */
static bool as_expected(const struct task_arg *a, const struct pt_result *r)
{
	uint64_t value;

	switch (a->kind) {
	case T_EDGE:
		/* Ends about at its deadline: either end is right. */
		if (r->status == PT_TASK_TIMED_OUT)
			return true;
		/* fall through */
	case T_OK:
		if (r->status != PT_TASK_OK || r->len != sizeof(value))
			return false;
		memcpy(&value, r->data, sizeof(value));
		return value == expected_value(a->value);
	case T_FAIL:
		return r->status == PT_TASK_FAILED && r->error == FAIL_CODE;
	case T_CRASH:
		return r->status == PT_TASK_CRASHED &&
		       r->how == PT_EXIT_CRASHED && r->signal == SIGSEGV;
	default:
		return r->status == PT_TASK_TIMED_OUT;
	}
}

/* Whether an unexpected end is one a fault explains: killed (SIGKILL) with
 * its worker, or not run because no worker could start. A wrong ok value
 * is never explained. */
static bool fault_explains(const struct scenario *sc, const struct task_arg *a,
			   const struct pt_result *r)
{
	if ((a->kind == T_OK || a->kind == T_EDGE) && r->status == PT_TASK_OK)
		return false;
	if (r->status == PT_TASK_CRASHED && r->signal == SIGKILL)
		return true;
	if (r->status == PT_TASK_TIMED_OUT && atomic_load(&sc->stopped))
		return true;
	if (r->status == PT_TASK_NO_WORKER && atomic_load(&sc->starved))
		return true;
	return atomic_load(&sc->no_workers) && r->status != PT_TASK_OK;
}

static const char *check_results(struct scenario *sc, pt_future **futs,
				 const struct task_arg *args, unsigned n)
{
	unsigned hit = 0;
	int bound_ms = (int)(sc->timeout_ms ? sc->timeout_ms * 4 : 0) + 15000;

	for (unsigned i = 0; i < n; i++) {
		struct pt_result r;
		int rc = pt_future_wait(futs[i], bound_ms, &r);

		if (rc == -ETIMEDOUT)
			return faults_fail("task %u (%s) not resolved within "
					   "%d ms",
					   i, kind_names[args[i].kind],
					   bound_ms);
		if (rc)
			return faults_fail("task %u: wait: %s", i,
					   pt_strerror(rc));
		if (as_expected(&args[i], &r))
			continue;
		if (!fault_explains(sc, &args[i], &r))
			return faults_fail(
				"task %u (%s) ended %s (how %s, signal %d, "
				"error %d) with no fault to explain it",
				i, kind_names[args[i].kind],
				pt_task_status_name(r.status),
				pt_exit_name(r.how), r.signal, r.error);
		hit++;
	}
	if (!atomic_load(&sc->no_workers) && !atomic_load(&sc->starved) &&
	    hit > atomic_load(&sc->allowance))
		return faults_fail("%u tasks hit, but the faults could reach "
				   "only %u",
				   hit, atomic_load(&sc->allowance));
	return NULL;
}

/* The task mix. A deadline storm (one worker, tasks that end about at
 * their deadline, one after another) is what charged a deadline kill to
 * the next task. */
static void draw_task(struct scenario *sc, struct task_arg *a, bool storm)
{
	unsigned pick = faults_below(sc->rng, 100);

	a->value = (uint32_t)faults_rand(sc->rng);
	a->timeout_ms = sc->timeout_ms;
	a->sleep_us = faults_below(sc->rng, 3000);
	if (storm) {
		a->kind = T_EDGE;
		/* 85 % to 125 % of the deadline. */
		a->sleep_us =
			sc->timeout_ms * (850 + faults_below(sc->rng, 400));
		return;
	}
	a->kind = pick < 75   ? T_OK
		  : pick < 85 ? T_FAIL
		  : pick < 93 ? T_CRASH
			      : T_SLOW;
	if (a->kind == T_CRASH && sc->kind == PT_KIND_THREAD)
		a->kind = T_FAIL;
	if (a->kind == T_SLOW && !sc->timeout_ms)
		a->kind = T_OK;
}

static const char *run_tasks(struct scenario *sc, pt_future **futs,
			     struct task_arg *args, unsigned *nsubmitted,
			     bool storm)
{
	unsigned n = storm ? 100 + faults_below(sc->rng, 100)
			   : 10 + faults_below(sc->rng, 70);

	*nsubmitted = 0;
	for (unsigned i = 0; i < n; i++) {
		int rc;

		draw_task(sc, &args[i], storm);
		rc = pt_pool_submit(sc->pool, task_fn, &args[i],
				    sizeof(args[i]), &futs[i]);
		if (rc) {
			/* Refused: only while no worker can start. */
			if (atomic_load(&sc->no_workers))
				break;
			if (atomic_load(&sc->starved)) {
				faults_sleep_ms(20);
				i--;
				continue;
			}
			return faults_fail("submit of task %u: %s", i,
					   pt_strerror(rc));
		}
		(*nsubmitted)++;
		if (!storm && faults_chance(sc->rng, 20))
			faults_sleep_ms(faults_below(sc->rng, 10));
	}
	return NULL;
}

const char *faults_pool(struct faults_rng *rng, struct faults_log *log)
{
	static pt_future *futs[MAX_TASKS];
	static struct task_arg args[MAX_TASKS];
	struct scenario sc = { .rng = rng, .log = log };
	struct pt_pool_opts opts;
	struct faults_ledger ledger;
	struct pt_pool_stats stats;
	const char *verdict = NULL;
	unsigned n = 0;
	pthread_t faulter;
	bool on_thread;
	bool storm;
	int rc;

	sc.kind = faults_chance(rng, 60) ? PT_KIND_PROCESS : PT_KIND_THREAD;
	sc.via_server = sc.kind == PT_KIND_PROCESS && faults_chance(rng, 50);
	storm = sc.kind == PT_KIND_PROCESS && faults_chance(rng, 30);
	sc.workers = storm ? 1 : 1 + faults_below(rng, 3);
	/* A storm's tasks may end either way, so its deadline is not
	 * scaled; an ok task must meet the others'. */
	sc.timeout_ms = storm ? 20
			: faults_chance(rng, 50)
				? (40 + faults_below(rng, 60)) * FAULTS_SLOWDOWN
				: 0;
	on_thread = faults_chance(rng, 30);
	/* As nobody, so that RLIMIT_NPROC applies (root is exempt). */
	if (sc.kind == PT_KIND_PROCESS && geteuid() == 0 &&
	    faults_chance(rng, 25) && setgid(65534) == 0 && setuid(65534) == 0)
		sc.unprivileged = true;
	draw_faults(&sc);
	if (storm)
		sc.nfaults = 0; /* the storm is the fault */
	faults_note(log, " %s%s workers=%u timeout=%u%s%s%s",
		    pt_kind_name(sc.kind), sc.via_server ? " via-server" : "",
		    sc.workers, sc.timeout_ms,
		    on_thread ? " made-by-a-thread" : "",
		    storm ? " deadline-storm" : "",
		    sc.unprivileged ? " as-nobody" : "");
	faults_ledger_take(&ledger);
	if (sc.via_server && (rc = pt_forkserver_start()) != 0)
		return faults_fail("fork-server start: %s", pt_strerror(rc));
	opts = PT_POOL_OPTS(.kind = sc.kind, .workers = sc.workers,
			    .task_timeout_ms = sc.timeout_ms,
			    .name = WORKER_NAME);
	if (on_thread) {
		struct creator c = { .opts = &opts, .sc = &sc };
		pthread_t t;

		pthread_create(&t, NULL, create_on_thread, &c);
		pthread_join(t, NULL);
		rc = c.rc;
	} else {
		rc = pt_pool_create(&opts, &sc.pool);
	}
	if (rc)
		return faults_fail("pool create: %s", pt_strerror(rc));
	/* Drawn now, so that the schedule replays whatever the threads'
	 * timing: the fault thread draws from its own source. */
	sc.frng.state = faults_rand(rng) | 1;
	pthread_create(&faulter, NULL, fault_thread, &sc);
	verdict = run_tasks(&sc, futs, args, &n, storm);
	if (!verdict)
		verdict = check_results(&sc, futs, args, n);
	atomic_store(&sc.stop_faults, true);
	pthread_join(faulter, NULL);
	if (!verdict) {
		rc = pt_pool_shutdown(sc.pool, PT_POOL_SHUTDOWN_DRAIN, 5000);
		if (rc == 0 && pt_pool_get_stats(sc.pool, &stats) == 0 &&
		    (stats.queued || stats.running))
			verdict =
				faults_fail("drain returned 0 with %llu "
					    "queued, %llu running",
					    (unsigned long long)stats.queued,
					    (unsigned long long)stats.running);
	}
	pt_pool_destroy(sc.pool);
	for (unsigned i = 0; i < n; i++) {
		if (!verdict && !pt_future_done(futs[i]))
			verdict = faults_fail(
				"task %u unresolved after destroy", i);
		pt_future_destroy(futs[i]);
	}
	if (sc.via_server && (rc = pt_forkserver_stop()) != 0 && !verdict)
		verdict = faults_fail("fork-server stop: %s", pt_strerror(rc));
	if (!verdict)
		verdict = faults_ledger_check(&ledger);
	return verdict;
}
