/* pt_peer_gthreadpool.c - GLib's GThreadPool on the pool suite's workloads,
 * a peer of procthread's thread pool (bench/peers/pool.c runs it).
 *
 *   pt-peer-gthreadpool latency|throughput WORKERS COUNT SIZE
 *
 * latency: COUNT tasks one at a time, each pushed and waited for (a GCond
 * signalled by the task); prints "value NS" per task. throughput: COUNT
 * tasks pushed, then all waited for; prints "value TASKS_PER_S". With SIZE
 * > 0 each task receives a copy of SIZE bytes and hands a copy back, as a
 * pool that copies its argument and result does; GThreadPool itself only
 * passes a pointer.
 */
#include <glib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job {
	void *arg;
	size_t size;
	void *result;
};

static GMutex lock;
static GCond done_cond;
static unsigned done;
static const unsigned char *source;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

static void run_job(gpointer data, gpointer user)
{
	struct job *j = data;

	(void)user;
	if (j->size) {
		j->result = malloc(j->size);
		memcpy(j->result, j->arg, j->size);
	}
	g_mutex_lock(&lock);
	done++;
	g_cond_signal(&done_cond);
	g_mutex_unlock(&lock);
}

static struct job *new_job(size_t size)
{
	struct job *j = calloc(1, sizeof(*j));

	j->size = size;
	if (size) {
		j->arg = malloc(size);
		memcpy(j->arg, source, size);
	}
	return j;
}

static void free_job(struct job *j)
{
	free(j->arg);
	free(j->result);
	free(j);
}

static void wait_done(unsigned want)
{
	g_mutex_lock(&lock);
	while (done < want)
		g_cond_wait(&done_cond, &lock);
	g_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	GThreadPool *pool;
	struct job **jobs;
	unsigned workers, count;
	unsigned long long t0, t1;
	size_t size;
	int throughput;

	if (argc != 5) {
		fprintf(stderr,
			"usage: %s latency|throughput WORKERS COUNT "
			"SIZE\n",
			argv[0]);
		return 2;
	}
	throughput = !strcmp(argv[1], "throughput");
	workers = (unsigned)strtoul(argv[2], NULL, 10);
	count = (unsigned)strtoul(argv[3], NULL, 10);
	size = strtoul(argv[4], NULL, 10);
	if (!workers || !count) {
		fprintf(stderr, "%s: WORKERS and COUNT must be positive\n",
			argv[0]);
		return 2;
	}
	source = calloc(1, size ? size : 1);
	jobs = calloc(count, sizeof(struct job *));
	if (!jobs || !source) {
		free(jobs);
		return 1;
	}
	pool = g_thread_pool_new(run_job, NULL, (gint)workers, TRUE, NULL);
	if (!pool) {
		free(jobs);
		return 1;
	}
	/* Warm up: the workers are started. */
	for (unsigned i = 0; i < workers; i++) {
		struct job *j = new_job(size);

		g_thread_pool_push(pool, j, NULL);
		wait_done(i + 1);
		free_job(j);
	}
	done = 0;
	t0 = now_ns();
	for (unsigned i = 0; i < count; i++) {
		jobs[i] = new_job(size);
		g_thread_pool_push(pool, jobs[i], NULL);
		if (!throughput)
			wait_done(i + 1);
	}
	wait_done(count);
	t1 = now_ns();
	for (unsigned i = 0; i < count; i++)
		free_job(jobs[i]);
	g_thread_pool_free(pool, FALSE, TRUE);
	if (throughput)
		printf("value %.1f\n", count * 1e9 / (double)(t1 - t0));
	else
		printf("value %.1f\n", (double)(t1 - t0) / count);
	free(jobs);
	return 0;
}
