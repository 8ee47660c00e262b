/* soak.c - the fault-injection soak (`make soak`, tests/soak/): N tasks
 * through a process pool with random faults, then a supervised child that
 * crashes over and over, and a ledger of what must hold afterwards.
 *
 *   pt_soak [--tasks N] [--seed S] [--faults PERCENT] [--workers W]
 *
 * Each task's kind is drawn from the seed, so a failing run is replayed by
 * its seed. The faults: SIGSEGV, abort(), exit() without a result, an
 * endless loop against the task timeout, an allocation that fails, and
 * kill -9 from outside while the task runs; meanwhile a thread sends the
 * parent a storm of signals, so every wait of the pool sees EINTR. Every
 * task must resolve exactly once, with the status its kind implies, and
 * the process must end with the descriptors, children, mappings and
 * /dev/shm names it started with. Prints the ledger; exits 1 when any line
 * is off, 2 for a bad command line. */
#include <procthread.h>

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

enum kind {
	K_OK,	  /* computes and hands back its result */
	K_SEGV,	  /* SIGSEGV */
	K_ABORT,  /* abort() */
	K_EXIT,	  /* exit(3) with no result */
	K_LOOP,	  /* spins past the task timeout */
	K_NOMEM,  /* an allocation fails: returns ENOMEM */
	K_KILLED, /* kill -9 from outside while it runs */
	K_COUNT,
};

static const char *const kind_names[K_COUNT] = {
	"ok", "segv", "abort", "exit", "loop", "nomem", "killed",
};

#define VICTIM_SLOTS 256
#define IN_FLIGHT    64
/* Long enough that a task descheduled on a loaded 2-CPU machine still
 * ends as its kind says, rather than timed out (300 ms was not). */
#define TASK_TIMEOUT_MS 1000

struct task_arg {
	uint32_t index;
	uint32_t kind;
	uint64_t value;
};

/* Where a K_KILLED task says which process to kill: a region made before
 * the pool, so every worker shares it. */
static _Atomic int *victims;

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: small, fast, and the same everywhere for a seed. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint64_t expected_value(uint64_t v)
{
	return v * 31 + 7;
}

static int task(const void *p, size_t len, struct pt_task_out *out)
{
	struct task_arg a;
	volatile uint64_t spin = 0;
	uint64_t r;
	void *big;

	if (len != sizeof(a))
		return EINVAL;
	memcpy(&a, p, sizeof(a));
	switch (a.kind) {
	case K_SEGV:
		/* raise, not a NULL store: UBSan would turn that into an
		 * abort in the sanitizer builds. */
		raise(SIGSEGV);
		break;
	case K_ABORT:
		abort();
	case K_EXIT:
		exit(3);
	case K_LOOP:
		for (;;)
			spin++;
	case K_NOMEM:
		big = malloc((size_t)1 << 60);
		if (!big)
			return ENOMEM;
		free(big);
		return 0;
	case K_KILLED:
		atomic_store(&victims[a.index % VICTIM_SLOTS], (int)getpid());
		for (;;)
			pause();
	default:
		break;
	}
	r = expected_value(a.value);
	if (out->cap < sizeof(r))
		return EMSGSIZE;
	memcpy(out->data, &r, sizeof(r));
	out->len = sizeof(r);
	return 0;
}

/* Whether a resolved task ended as its kind implies. */
static bool classified_right(const struct task_arg *a,
			     const struct pt_result *res)
{
	uint64_t r;

	switch (a->kind) {
	case K_OK:
		if (res->status != PT_TASK_OK || res->len != sizeof(r))
			return false;
		memcpy(&r, res->data, sizeof(r));
		return r == expected_value(a->value);
	case K_SEGV:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_CRASHED && res->signal == SIGSEGV;
	case K_ABORT:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_CRASHED && res->signal == SIGABRT;
	case K_EXIT:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_EXITED && res->exit_code == 3;
	case K_LOOP:
		return res->status == PT_TASK_TIMED_OUT;
	case K_NOMEM:
		return res->status == PT_TASK_FAILED && res->error == ENOMEM;
	case K_KILLED:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_SIGNALED && res->signal == SIGKILL;
	}
	return false;
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

/* --- the pool phase ------------------------------------------------------ */

struct tally {
	uint64_t submitted, resolved, twice, lost, misclassified;
	uint64_t by_kind[K_COUNT], wrong_by_kind[K_COUNT];
	double seconds;
};

struct slot {
	pt_future *future;
	struct task_arg arg;
};

static void kill_victims(void)
{
	for (int i = 0; i < VICTIM_SLOTS; i++) {
		int pid = atomic_exchange(&victims[i], 0);

		/* The worker is alive: its task spins until this kill, so
		 * the pid cannot have been reused. */
		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

static int resolve(struct slot *s, uint8_t *seen, struct tally *t)
{
	struct pt_result res;
	int rc;

	for (;;) {
		kill_victims();
		rc = pt_future_wait(s->future, 20, &res);
		if (rc != -ETIMEDOUT)
			break;
	}
	if (rc) {
		fprintf(stderr, "soak: pt_future_wait: %s\n", pt_strerror(rc));
		return rc;
	}
	t->resolved++;
	if (seen[s->arg.index]++)
		t->twice++;
	if (!classified_right(&s->arg, &res)) {
		t->misclassified++;
		t->wrong_by_kind[s->arg.kind]++;
		if (t->misclassified <= 5)
			fprintf(stderr,
				"soak: task %u (%s) ended %s, how %s, signal "
				"%d, "
				"error %d, exit %d\n",
				s->arg.index, kind_names[s->arg.kind],
				pt_task_status_name(res.status),
				pt_exit_name(res.how), res.signal, res.error,
				res.exit_code);
	}
	pt_future_destroy(s->future);
	s->future = NULL;
	return 0;
}

static int pool_phase(uint64_t tasks, unsigned faults_pct, unsigned workers,
		      uint64_t seed, struct tally *t)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = workers,
			     .task_timeout_ms = TASK_TIMEOUT_MS,
			     .name = "pt-soak");
	struct slot slots[IN_FLIGHT] = { 0 };
	uint8_t *seen = calloc(tasks ? tasks : 1, 1);
	uint64_t rng = seed ? seed : 1;
	struct timespec t0, t1;
	pt_pool *pool = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!seen)
		return -ENOMEM;
	rc = pt_pool_create(&opts, &pool);
	if (rc) {
		fprintf(stderr, "soak: pt_pool_create: %s\n", pt_strerror(rc));
		free(seen);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < tasks + IN_FLIGHT && !rc; i++) {
		struct slot *s = &slots[i % IN_FLIGHT];

		if (s->future)
			rc = resolve(s, seen, t);
		if (rc || i >= tasks)
			continue;
		s->arg.index = (uint32_t)i;
		s->arg.value = rng_next(&rng);
		s->arg.kind = K_OK;
		if (rng_next(&rng) % 100 < faults_pct)
			s->arg.kind =
				1 + (uint32_t)(rng_next(&rng) % (K_COUNT - 1));
		t->by_kind[s->arg.kind]++;
		do
			rc = pt_pool_submit(pool, task, &s->arg, sizeof(s->arg),
					    &s->future);
		while (rc == -EINTR);
		if (rc)
			fprintf(stderr, "soak: pt_pool_submit: %s\n",
				pt_strerror(rc));
		else
			t->submitted++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (uint64_t i = 0; i < tasks; i++)
		if (!seen[i])
			t->lost++;
	pt_pool_destroy(pool);
	free(seen);
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
	struct pt_child_spec child = {
		.name = "pt-soak-crash",
		.fn = crash_soon,
		.kind = PT_PROCESS,
		.restart = PT_RESTART_PERMANENT,
	};
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_ONE_FOR_ONE,
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
	return rc;
}

/* --- the ledger ---------------------------------------------------------- */

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
	uint64_t clean_tasks;
	bool ok;
	int rc;

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
	victims = pt_region_addr(region);
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
	ok = rc == 0 && faulty.lost == 0 && faulty.twice == 0 &&
	     faulty.misclassified == 0 && clean.lost == 0 && clean.twice == 0 &&
	     clean.misclassified == 0 && log.wrong == 0 &&
	     after.children == before.children && after.fds == before.fds &&
	     after.maps == before.maps && after.shm == before.shm;

	printf("ledger (seed %" PRIu64 "):\n", seed);
	printf("  tasks submitted        %" PRIu64 " (+%" PRIu64
	       " without faults)\n",
	       faulty.submitted, clean.submitted);
	for (int k = 0; k < K_COUNT; k++)
		printf("    %-8s %10" PRIu64 "   misclassified %" PRIu64 "\n",
		       kind_names[k], faulty.by_kind[k],
		       faulty.wrong_by_kind[k]);
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
	printf("  mappings               %d before, %d after\n", before.maps,
	       after.maps);
	printf("  /dev/shm names         %d before, %d after\n", before.shm,
	       after.shm);
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
	printf("soak: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
