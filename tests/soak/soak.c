/* soak.c - the fault-injection soak (`make soak`, tests/soak/): N tasks
 * through a process pool with random faults, then a supervised child that
 * crashes over and over, and a ledger of what must hold afterwards.
 *
 *   pt_soak [--tasks N] [--seed S] [--faults PERCENT] [--workers W]
 *
 * Each task's kind is drawn from the seed, so a failing run is replayed by
 * its seed. The faults, and what each must end as (tasks.c): SIGSEGV,
 * abort(), exit() without a result, an endless loop against the task
 * timeout, an allocation that fails, RLIMIT_AS lowered and exhausted
 * inside the task, kill -9 from outside while the task runs, with half its
 * reply written, with the whole reply written but not yet published, and
 * just after it was published; and full channels: arguments and results
 * that fill a ring slot to the byte, in bursts of BURST that fill a
 * worker's ring, an argument one byte too long (refused at submit), and a
 * queue of QUEUE_CAP that the submitter blocks on. Meanwhile one thread
 * sends the parent a storm of signals, so every wait of the pool sees
 * EINTR, and another kills each worker that announces itself as a victim.
 * Every task must resolve exactly once, with the status its kind implies,
 * every worker that lowered its limit must be recycled, and the process
 * must end with the descriptors, children, mappings and /dev/shm names it
 * started with. Prints the ledger, a line per kind with the expected and
 * the observed ends; exits 1 when any line is off, 2 for a bad command
 * line. */
#include "soak/soak.h"

#include "support/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT 64
/* Smaller than what the workers can hold (PT__POOL_DEPTH, 8, each) plus
 * IN_FLIGHT, so that submit finds the queue full and blocks. */
#define QUEUE_CAP 16
/* K_FULL tasks come this many in a row: one worker's ring holds 8. */
#define BURST 16
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* Long enough that a task descheduled on a loaded 2-CPU machine still
 * ends as its kind says, rather than timed out (300 ms was not; nor was
 * 1 s for a sanitizer build's task beside other tests). */
#define TASK_TIMEOUT_MS (SANITIZED ? 3000 : 1000)
/* A future not resolved by then is a hang: the soak fails. */
#define RESOLVE_LIMIT_MS 120000

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: small, fast, and the same everywhere for a seed. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* --- the signal storm ---------------------------------------------------- */

static atomic_bool storm_on;
static atomic_ulong storm_sent;

static void on_storm(int sig)
{
	(void)sig;
}

static void *storm(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec pause_ts = { .tv_nsec = 200000 };

	while (atomic_load(&storm_on)) {
		pthread_kill(target, SIGUSR1);
		atomic_fetch_add(&storm_sent, 1);
		nanosleep(&pause_ts, NULL);
	}
	return NULL;
}

/* --- the killer ----------------------------------------------------------- */

static atomic_bool killer_on;

static void kill_victims(void)
{
	for (int i = 0; i < VICTIM_SLOTS; i++) {
		int pid = atomic_exchange(&soak_victims[i], 0);

		/* The worker is alive: its task waits for this kill, well
		 * within its timeout, so the pid cannot have been reused. */
		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

static void *killer(void *arg)
{
	struct timespec pause_ts = { .tv_nsec = 500000 };

	(void)arg;
	while (atomic_load(&killer_on)) {
		kill_victims();
		nanosleep(&pause_ts, NULL);
	}
	return NULL;
}

/* --- the pool phase ------------------------------------------------------ */

#define OBSERVED_MAX 4

struct observed {
	char what[40];
	uint64_t n;
};

struct tally {
	uint64_t submitted, resolved, twice, lost, misclassified;
	uint64_t by_kind[K_COUNT], wrong_by_kind[K_COUNT];
	struct observed seen[K_COUNT][OBSERVED_MAX];
	uint64_t seen_other[K_COUNT];
	uint64_t queue_full; /* submits that found it so */
	uint64_t oversize_tried, oversize_refused; /* an argument too long */
	uint64_t recycled;
	double seconds;
};

struct slot {
	pt_future *future;
	struct task_arg arg;
};

static void observe(struct tally *t, enum kind k, const char *what)
{
	for (int i = 0; i < OBSERVED_MAX; i++) {
		struct observed *o = &t->seen[k][i];

		if (o->n == 0)
			snprintf(o->what, sizeof(o->what), "%s", what);
		if (!strcmp(o->what, what)) {
			o->n++;
			return;
		}
	}
	t->seen_other[k]++;
}

static int resolve(struct slot *s, uint8_t *seen, struct tally *t)
{
	struct pt_result res;
	char what[40];
	bool right;
	int rc;

	rc = pt_future_wait(s->future, RESOLVE_LIMIT_MS, &res);
	if (rc) {
		fprintf(stderr, "soak: task %u (%s): pt_future_wait: %s\n",
			s->arg.index, soak_kind_names[s->arg.kind],
			pt_strerror(rc));
		return rc;
	}
	t->resolved++;
	if (seen[s->arg.index]++)
		t->twice++;
	right = soak_classified_right(&s->arg, &res);
	if (res.status == PT_TASK_OK && !right)
		snprintf(what, sizeof(what), "ok, wrong result");
	else
		soak_describe(&res, what, sizeof(what));
	observe(t, s->arg.kind, what);
	if (!right) {
		t->misclassified++;
		t->wrong_by_kind[s->arg.kind]++;
		if (t->misclassified <= 5)
			fprintf(stderr,
				"soak: task %u (%s) ended %s (status %s, how "
				"%s, signal %d, error %d, exit %d, %u "
				"attempts)\n",
				s->arg.index, soak_kind_names[s->arg.kind],
				what, pt_task_status_name(res.status),
				pt_exit_name(res.how), res.signal, res.error,
				res.exit_code, res.attempts);
	}
	pt_future_destroy(s->future);
	s->future = NULL;
	return 0;
}

/* Draws the next task's kind: K_FULL starts a burst of BURST. */
static enum kind draw(uint64_t *rng, unsigned faults_pct, unsigned *burst)
{
	enum kind k = K_OK;

	if (*burst) {
		(*burst)--;
		return K_FULL;
	}
	if (rng_next(rng) % 100 < faults_pct)
		k = 1 + (enum kind)(rng_next(rng) % (K_COUNT - 1));
	if (k == K_FULL)
		*burst = BURST - 1;
	return k;
}

/* An argument one byte longer than the pool takes: refused at once, and
 * nothing queued. */
static void try_oversize(pt_pool *pool, unsigned char *buf, struct tally *t)
{
	pt_future *f = NULL;
	int rc = pt_pool_submit(pool, soak_task, buf, SOAK_PAYLOAD + 1, &f);

	t->oversize_tried++;
	if (rc == -EMSGSIZE && !f)
		t->oversize_refused++;
	else if (rc == 0)
		pt_future_destroy(f);
}

static int submit(pt_pool *pool, struct slot *s, unsigned char *buf,
		  struct tally *t)
{
	struct pt_pool_stats st;
	size_t len = soak_arg(&s->arg, buf);
	int rc;

	if (pt_pool_get_stats(pool, &st) == 0 && st.queued >= QUEUE_CAP)
		t->queue_full++;
	/* Blocks while the queue is full; no EINTR: the storm is on. */
	rc = pt_pool_submit(pool, soak_task, buf, len, &s->future);
	if (rc)
		fprintf(stderr, "soak: pt_pool_submit: %s\n", pt_strerror(rc));
	else
		t->submitted++;
	return rc;
}

static int pool_phase(uint64_t tasks, unsigned faults_pct, unsigned workers,
		      uint64_t seed, struct tally *t)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = workers,
			     .task_timeout_ms = TASK_TIMEOUT_MS,
			     .name = "pt-soak", .queue_capacity = QUEUE_CAP,
			     .max_arg_bytes = SOAK_PAYLOAD,
			     .max_result_bytes = SOAK_PAYLOAD);
	struct slot slots[IN_FLIGHT] = { 0 };
	uint8_t *seen = calloc(tasks ? tasks : 1, 1);
	unsigned char *buf = malloc(SOAK_PAYLOAD + 1);
	uint64_t rng = seed ? seed : 1;
	struct pt_pool_stats st;
	struct timespec t0, t1;
	pt_pool *pool = NULL;
	pthread_t killer_thread;
	bool killing;
	unsigned burst = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!seen || !buf) {
		free(seen);
		free(buf);
		return -ENOMEM;
	}
	memset(buf, 0, SOAK_PAYLOAD + 1);
	rc = pt_pool_create(&opts, &pool);
	if (rc) {
		fprintf(stderr, "soak: pt_pool_create: %s\n", pt_strerror(rc));
		free(seen);
		free(buf);
		return rc;
	}
	atomic_store(&killer_on, true);
	rc = -pthread_create(&killer_thread, NULL, killer, NULL);
	killing = rc == 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < tasks + IN_FLIGHT && !rc; i++) {
		struct slot *s = &slots[i % IN_FLIGHT];

		if (s->future)
			rc = resolve(s, seen, t);
		if (rc || i >= tasks)
			continue;
		s->arg.index = (uint32_t)i;
		s->arg.value = rng_next(&rng);
		s->arg.kind = draw(&rng, faults_pct, &burst);
		if (s->arg.kind == K_FULL && burst == BURST - 1)
			try_oversize(pool, buf, t);
		t->by_kind[s->arg.kind]++;
		rc = submit(pool, s, buf, t);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (uint64_t i = 0; i < tasks; i++)
		if (!seen[i])
			t->lost++;
	if (pt_pool_get_stats(pool, &st) == 0)
		t->recycled = st.recycled;
	pt_pool_destroy(pool);
	atomic_store(&killer_on, false);
	if (killing)
		pthread_join(killer_thread, NULL);
	free(seen);
	free(buf);
	return rc;
}

/* --- the supervisor phase: restart latency ------------------------------- */

#define RESTARTS_MAX 4096

struct sup_log {
	pthread_mutex_t lock;
	uint64_t exited_ns;
	uint64_t latency_ns[RESTARTS_MAX];
	size_t n;
	uint64_t wrong; /* an exit that was not the crash the child makes */
};

static int crash_soon(void *arg)
{
	(void)arg;
	raise(SIGSEGV);
	return 0;
}

static void on_event(const struct pt_supervisor_event *ev, void *ctx)
{
	struct sup_log *log = ctx;

	pthread_mutex_lock(&log->lock);
	if (ev->type == PT_SUPERVISOR_CHILD_EXITED) {
		log->exited_ns = ev->time_ns;
		if (ev->status.how != PT_EXIT_CRASHED ||
		    ev->status.signal != SIGSEGV)
			log->wrong++;
	} else if (ev->type == PT_SUPERVISOR_CHILD_STARTED && log->exited_ns &&
		   log->n < RESTARTS_MAX) {
		log->latency_ns[log->n++] = ev->time_ns - log->exited_ns;
		log->exited_ns = 0;
	}
	pthread_mutex_unlock(&log->lock);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int supervisor_phase(size_t restarts, struct sup_log *log)
{
	struct pt_child_spec child =
		PT_CHILD_SPEC(.name = "pt-soak-crash", .fn = crash_soon,
			      .kind = PT_KIND_PROCESS,
			      .restart = PT_RESTART_PERMANENT);
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ONE,
				   .intensity = (uint32_t)restarts + 1,
				   .period_ms = 600000, .on_event = on_event,
				   .event_ctx = log);
	pt_supervisor *sup = NULL;
	int rc;

	rc = pt_supervisor_start(&opts, &child, 1, &sup);
	if (rc) {
		fprintf(stderr, "soak: pt_supervisor_start: %s\n",
			pt_strerror(rc));
		return rc;
	}
	for (;;) {
		size_t n;

		pthread_mutex_lock(&log->lock);
		n = log->n;
		pthread_mutex_unlock(&log->lock);
		if (n >= restarts)
			break;
		rc = pt_supervisor_wait(sup, 10);
		if (rc != -ETIMEDOUT && rc != -EINTR)
			break;
		rc = 0;
	}
	pt_supervisor_stop(sup);
	pt_supervisor_destroy(sup);
	return rc;
}

/* --- the ledger ---------------------------------------------------------- */

/* A line per kind: how many, the end it must have, the ends it had. */
static void print_kinds(const struct tally *t)
{
	printf("    %-10s %7s  %-34s %s\n", "kind", "tasks", "expected",
	       "observed");
	for (int k = 0; k < K_COUNT; k++) {
		printf("    %-10s %7" PRIu64 "  %-34s", soak_kind_names[k],
		       t->by_kind[k], soak_expected(k));
		for (int i = 0; i < OBSERVED_MAX && t->seen[k][i].n; i++)
			printf("%s%s %" PRIu64, i ? ", " : " ",
			       t->seen[k][i].what, t->seen[k][i].n);
		if (t->seen_other[k])
			printf(", other %" PRIu64, t->seen_other[k]);
		if (t->wrong_by_kind[k])
			printf("   MISCLASSIFIED %" PRIu64,
			       t->wrong_by_kind[k]);
		printf("\n");
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int usage(const char *msg)
{
	fprintf(stderr,
		"pt_soak: %s\nusage: pt_soak [--tasks N] [--seed S] "
		"[--faults PERCENT] [--workers W]\n",
		msg);
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t tasks = 100000, seed = (uint64_t)time(NULL);
	unsigned faults = 5, workers = 4;
	struct pt_ledger before, after;
	struct tally clean, faulty;
	struct sup_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sigaction sa = { .sa_handler = on_storm };
	pthread_t self = pthread_self(), storm_thread;
	pt_region *region = NULL;
	struct timespec start;
	uint64_t clean_tasks;
	bool ok;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		unsigned long long v;

		if (i + 1 >= argc)
			return usage("every option takes a value");
		errno = 0;
		v = strtoull(argv[i + 1], &end, 10);
		if (errno || !end || *end || end == argv[i + 1])
			return usage("values are whole numbers");
		if (!strcmp(argv[i], "--tasks") && v > 0 && v <= 100000000)
			tasks = v;
		else if (!strcmp(argv[i], "--seed"))
			seed = v;
		else if (!strcmp(argv[i], "--faults") && v <= 100)
			faults = (unsigned)v;
		else if (!strcmp(argv[i], "--workers") && v > 0 && v <= 64)
			workers = (unsigned)v;
		else
			return usage("unknown option or value out of range");
		i++;
	}
	printf("soak: %" PRIu64 " tasks, %u%% faults, %u workers, seed %" PRIu64
	       "\n",
	       tasks, faults, workers, seed);
	fflush(stdout);

	rc = pt_region_create(VICTIM_SLOTS * sizeof(int), 0, &region);
	if (rc) {
		fprintf(stderr, "soak: pt_region_create: %s\n",
			pt_strerror(rc));
		return 1;
	}
	soak_victims = pt_region_addr(region);
	soak_tasks_init();
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: waits see EINTR */

	/* A short run of every phase first, so that what glibc keeps for
	 * later - cached thread stacks, malloc arenas - is in the ledger
	 * before; the region stays, and is counted on both sides. */
	atomic_store(&storm_on, true);
	if (pthread_create(&storm_thread, NULL, storm, &self) == 0) {
		rc = pool_phase(100, 20, workers, seed, &faulty);
		atomic_store(&storm_on, false);
		pthread_join(storm_thread, NULL);
	}
	if (!rc)
		rc = supervisor_phase(3, &log);
	memset(&log, 0, sizeof(log));
	pthread_mutex_init(&log.lock, NULL);
	atomic_store(&storm_sent, 0);
	pt_ledger_take(&before);

	/* Without faults first, for the throughput to compare with. */
	clean_tasks = tasks / 10 ? tasks / 10 : 1;
	if (!rc)
		rc = pool_phase(clean_tasks, 0, workers, seed, &clean);
	atomic_store(&storm_on, true);
	if (!rc && pthread_create(&storm_thread, NULL, storm, &self) != 0)
		rc = -EAGAIN;
	if (!rc) {
		rc = pool_phase(tasks, faults, workers, seed + 1, &faulty);
		atomic_store(&storm_on, false);
		pthread_join(storm_thread, NULL);
	}
	if (!rc)
		rc = supervisor_phase(tasks >= 10000 ? 200 : 20, &log);
	pt_ledger_take(&after);
	pt_region_destroy(region);

	qsort(log.latency_ns, log.n, sizeof(log.latency_ns[0]), cmp_u64);
	/* Every worker that lowered its limit, and only those, was
	 * recycled (the pool has no max_tasks_per_worker). */
	ok = rc == 0 && faulty.lost == 0 && faulty.twice == 0 &&
	     faulty.misclassified == 0 && clean.lost == 0 && clean.twice == 0 &&
	     clean.misclassified == 0 && log.wrong == 0 &&
	     faulty.recycled == faulty.by_kind[K_RLIMIT] &&
	     faulty.oversize_refused == faulty.oversize_tried &&
	     after.children == before.children && after.fds == before.fds &&
	     (SANITIZED || after.maps == before.maps) &&
	     after.shm == before.shm;

	printf("ledger (seed %" PRIu64 "):\n", seed);
	printf("  tasks submitted        %" PRIu64 " (+%" PRIu64
	       " without faults)\n",
	       faulty.submitted, clean.submitted);
	print_kinds(&faulty);
	printf("  tasks lost             %" PRIu64 "\n",
	       faulty.lost + clean.lost);
	printf("  tasks resolved twice   %" PRIu64 "\n",
	       faulty.twice + clean.twice);
	printf("  causes misclassified   %" PRIu64 "\n",
	       faulty.misclassified + clean.misclassified + log.wrong);
	printf("  zombies / children     %d before, %d after\n",
	       before.children, after.children);
	printf("  descriptors            %d before, %d after\n", before.fds,
	       after.fds);
	printf("  mappings               %d before, %d after%s\n", before.maps,
	       after.maps,
	       SANITIZED ? " (not compared: the sanitizer maps its own)" : "");
	printf("  /dev/shm names         %d before, %d after\n", before.shm,
	       after.shm);
	printf("  workers recycled       %" PRIu64 " (expected %" PRIu64
	       ", one per rlimit task)\n",
	       faulty.recycled, faulty.by_kind[K_RLIMIT]);
	printf("  oversize arguments     %" PRIu64 " of %" PRIu64
	       " refused at submit (EMSGSIZE)\n",
	       faulty.oversize_refused, faulty.oversize_tried);
	printf("  queue found full       %" PRIu64 " of %" PRIu64
	       " submits (capacity %d: the submitter blocked)\n",
	       faulty.queue_full, faulty.submitted, QUEUE_CAP);
	printf("  signals to the parent  %lu (EINTR storm)\n",
	       atomic_load(&storm_sent));
	printf("  throughput             %.0f tasks/s without faults, %.0f "
	       "with %u%%\n",
	       clean.seconds > 0 ? (double)clean.resolved / clean.seconds : 0,
	       faulty.seconds > 0 ? (double)faulty.resolved / faulty.seconds
				  : 0,
	       faults);
	if (log.n)
		printf("  restart latency        median %.3f ms, p99 %.3f ms "
		       "(%zu supervised restarts)\n",
		       (double)log.latency_ns[log.n / 2] / 1e6,
		       (double)log.latency_ns[log.n * 99 / 100] / 1e6, log.n);
	printf("  wall time              %.1f s\n", seconds_since(&start));
	printf("soak: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
