/* pool_workers.c - where empty tasks' throughput goes as a pool's workers
 * outnumber the CPUs (issue 16, 2b).
 *
 * For each kind and each worker count given, a pool runs bursts of 256
 * empty tasks (submit them all, then wait for each, as bench pool's
 * task-throughput does); trials of every pool are interleaved, so a busy
 * machine slows all of them alike. Printed per pool: the best and median
 * tasks/s of the trials, the share of the first count's median, and per
 * task the context switches of this process (voluntary: a thread slept;
 * involuntary: it was preempted) and of the whole machine (/proc/stat
 * ctxt), which is where a herd of woken workers or a lock convoy shows.
 *
 *	pool_workers [trials] [workers...]	(default: 9 2 64 256)
 *	pool_workers start [trials] [workers...]
 *
 * With start, each trial instead makes and destroys a pool of each count
 * and kind (the fork-server running when PT_FORKSERVER=1): the median
 * pt_pool_create() (until it returns, every worker spawned) and
 * pt_pool_destroy() of each, and their share of the first count's.
 *
 * Built, never run by ctest: speed lives in the bench. */
#include <procthread.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BURST	   256
#define BURSTS	   200
#define MAX_POOLS  16
#define MAX_TRIALS 64

struct pool_run {
	enum pt_kind kind;
	unsigned workers;
	pt_pool *pool;
	double rate[MAX_TRIALS];
	double vcsw, ivcsw, ctxt; /* per task, summed over trials */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned long long machine_ctxt(void)
{
	char line[256];
	unsigned long long n = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int empty(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

static int bursts(pt_pool *pool)
{
	pt_future *f[BURST];

	for (int b = 0; b < BURSTS; b++) {
		for (int i = 0; i < BURST; i++)
			if (pt_pool_submit(pool, empty, NULL, 0, &f[i]))
				return -1;
		for (int i = 0; i < BURST; i++) {
			struct pt_result r;

			if (pt_future_wait(f[i], -1, &r) ||
			    r.status != PT_TASK_OK)
				return -1;
			pt_future_destroy(f[i]);
		}
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The start mode: create and destroy times per kind and count. */
static int start_mode(unsigned trials, const unsigned *counts, unsigned nw)
{
	static double make[2][MAX_POOLS / 2][MAX_TRIALS];
	static double end[2][MAX_POOLS / 2][MAX_TRIALS];

	for (unsigned t = 0; t < trials; t++)
		for (int k = 0; k < 2; k++)
			for (unsigned i = 0; i < nw; i++) {
				pt_pool *pool;
				uint64_t t0 = now_ns(), t1;

				if (pt_pool_create(
					    &PT_POOL_OPTS(.kind = k ? PT_KIND_PROCESS
								    : PT_KIND_THREAD,
							  .workers = counts[i]),
					    &pool))
					return 1;
				t1 = now_ns();
				pt_pool_destroy(pool);
				make[k][i][t] = (double)(t1 - t0) / 1e6;
				end[k][i][t] = (double)(now_ns() - t1) / 1e6;
			}
	printf("%-8s %7s %10s %7s %10s %7s\n", "kind", "workers", "create/ms",
	       "vs-1st", "destroy/ms", "vs-1st");
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < nw; i++) {
			qsort(make[k][i], trials, sizeof(double), cmp);
			qsort(end[k][i], trials, sizeof(double), cmp);
			printf("%-8s %7u %10.2f %7.2f %10.2f %7.2f\n",
			       k ? "process" : "thread", counts[i],
			       make[k][i][trials / 2],
			       make[k][i][trials / 2] / make[k][0][trials / 2],
			       end[k][i][trials / 2],
			       end[k][i][trials / 2] / end[k][0][trials / 2]);
		}
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned defaults[] = { 2, 64, 256 };
	unsigned counts[MAX_POOLS / 2];
	struct pool_run runs[MAX_POOLS];
	bool start = argc > 1 && strcmp(argv[1], "start") == 0;
	unsigned trials;
	unsigned nw;
	unsigned n = 0;

	if (start) {
		argc--;
		argv++;
	}
	trials = argc > 1 ? (unsigned)atoi(argv[1]) : 9;
	nw = argc > 2 ? (unsigned)(argc - 2) : 3;

	if (trials < 1 || trials > MAX_TRIALS || nw * 2 > MAX_POOLS) {
		fprintf(stderr,
			"usage: pool_workers [trials 1-%d] "
			"[workers...] (at most %d counts)\n",
			MAX_TRIALS, MAX_POOLS / 2);
		return 2;
	}
	for (unsigned i = 0; i < nw; i++)
		counts[i] =
			argc > 2 ? (unsigned)atoi(argv[2 + i]) : defaults[i];
	if (start && getenv("PT_FORKSERVER") &&
	    strcmp(getenv("PT_FORKSERVER"), "1") == 0 && pt_forkserver_start())
		return 1;
	if (start)
		return start_mode(trials, counts, nw);
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < nw; i++) {
			struct pool_run *r = &runs[n++];

			memset(r, 0, sizeof(*r));
			r->kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD;
			r->workers = counts[i];
			if (pt_pool_create(&PT_POOL_OPTS(.kind = r->kind,
							 .workers = r->workers),
					   &r->pool)) {
				fprintf(stderr, "pool of %u failed\n",
					r->workers);
				return 1;
			}
			if (bursts(r->pool)) /* warm */
				return 1;
		}
	for (unsigned t = 0; t < trials; t++)
		for (unsigned i = 0; i < n; i++) {
			struct pool_run *r = &runs[i];
			struct rusage before, after;
			unsigned long long c0 = machine_ctxt();
			uint64_t t0;

			getrusage(RUSAGE_SELF, &before);
			t0 = now_ns();
			if (bursts(r->pool))
				return 1;
			r->rate[t] = (double)BURST * BURSTS * 1e9 /
				     (double)(now_ns() - t0);
			getrusage(RUSAGE_SELF, &after);
			r->vcsw += (double)(after.ru_nvcsw - before.ru_nvcsw);
			r->ivcsw +=
				(double)(after.ru_nivcsw - before.ru_nivcsw);
			r->ctxt += (double)(machine_ctxt() - c0);
		}
	printf("%-8s %7s %10s %10s %7s %8s %8s %8s\n", "kind", "workers",
	       "best/s", "median/s", "vs-1st", "vcsw/t", "ivcsw/t", "ctxt/t");
	for (unsigned i = 0; i < n; i++) {
		struct pool_run *r = &runs[i];
		double tasks = (double)BURST * BURSTS * trials;
		double first;

		qsort(r->rate, trials, sizeof(double), cmp);
		first = runs[i - i % nw].rate[trials / 2];
		printf("%-8s %7u %10.0f %10.0f %7.2f %8.2f %8.2f %8.2f\n",
		       pt_kind_name(r->kind), r->workers, r->rate[trials - 1],
		       r->rate[trials / 2], r->rate[trials / 2] / first,
		       r->vcsw / tasks, r->ivcsw / tasks, r->ctxt / tasks);
		pt_pool_destroy(r->pool);
	}
	return 0;
}
