/* pool_anywhere.c - one program, one pool, and its workers where --on says:
 * threads of this process, worker processes, or MPI ranks (on this host or
 * on many). The task is the same function every time; only the pool
 * around it changes.
 *
 *   ./pool_anywhere --on threads
 *   ./pool_anywhere --on processes
 *   mpirun --allow-run-as-root --oversubscribe -np 4 ./pool_anywhere --on mpi
 *
 * (--allow-run-as-root only when running as root; --oversubscribe when
 * there are more ranks than CPUs.) Under mpirun, rank 0 owns the pool and
 * ranks 1..n-1 are its workers; with a hostfile they can be on other hosts
 * (README.md, "Running on several hosts"). Tasks travel by name, so every
 * rank registers the same table of tasks.
 *
 * It counts the primes below 200,000 in 200 tasks of 1,000 numbers each,
 * adds up the counts, checks the total against one computed here, and says
 * which workers did how much. Exit status: 0 when the total is right, 1
 * when not or when the pool failed, 2 for a bad option.
 */
#include <procthread.h>
#ifdef PT_HAVE_MPI
#include <procthread/mpi.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT  200000u
#define CHUNK  1000u
#define NTASKS (LIMIT / CHUNK)

static int is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

/* The task: the argument is the first number of a chunk; the result, how
 * many primes the chunk holds. */
static int count_primes(const void *arg, size_t len, struct pt_task_out *out)
{
	uint32_t lo, count = 0;

	if (len != sizeof(lo) || out->cap < sizeof(count))
		return 1;
	memcpy(&lo, arg, sizeof(lo));
	for (uint32_t n = lo; n < lo + CHUNK; n++)
		count += (uint32_t)is_prime(n);
	memcpy(out->data, &count, sizeof(count));
	out->len = sizeof(count);
	return 0;
}

/* The tasks by name: what a pool of ranks needs, the same in every rank
 * (function addresses differ between separately started programs). */
static const struct pt_pool_task tasks[] = {
	{ "count_primes", count_primes },
};

/* Runs every task on the pool, checks the total, prints the report. */
static int run(pt_pool *pool, const char *on)
{
	pt_future *f[NTASKS];
	struct pt_pool_stats st;
	struct pt_result res;
	uint32_t total = 0, expect = 0, count;
	int rc;

	for (unsigned i = 0; i < NTASKS; i++) {
		uint32_t lo = i * CHUNK;

		rc = pt_pool_submit(pool, count_primes, &lo, sizeof(lo), &f[i]);
		if (rc) {
			fprintf(stderr, "pool_anywhere: submit: %s\n",
				pt_strerror(rc));
			return 1;
		}
	}
	for (unsigned i = 0; i < NTASKS; i++) {
		rc = pt_future_wait(f[i], -1, &res);
		if (rc || res.status != PT_TASK_OK ||
		    res.len != sizeof(count)) {
			fprintf(stderr, "pool_anywhere: task %u: %s\n", i,
				rc ? pt_strerror(rc)
				   : pt_task_status_name(res.status));
			return 1;
		}
		memcpy(&count, res.data, sizeof(count));
		total += count;
		pt_future_destroy(f[i]);
	}
	for (uint32_t n = 0; n < LIMIT; n++)
		expect += (uint32_t)is_prime(n);
	pt_pool_get_stats(pool, &st);
	printf("on %s: %u workers, %u tasks, %u primes below %u: %s\n", on,
	       st.workers, NTASKS, total, LIMIT,
	       total == expect ? "correct" : "WRONG");
	printf("tasks per worker:");
	for (unsigned w = 0; w < st.workers && w < PT_POOL_STATS_WORKERS; w++)
		printf(" %llu", (unsigned long long)st.worker_tasks[w]);
	printf("\n");
	return total == expect ? 0 : 1;
}

static int on_local(enum pt_kind kind, const char *on)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = kind, .workers = 3, .name = "primes",
			     .tasks = tasks, .n_tasks = 1);
	pt_pool *pool;
	int rc = pt_pool_create(&opts, &pool);

	if (rc) {
		fprintf(stderr, "pool_anywhere: pool: %s\n", pt_strerror(rc));
		return 1;
	}
	rc = run(pool, on);
	pt_pool_destroy(pool);
	return rc;
}

static int on_ranks(int *argc, char ***argv)
{
#ifdef PT_HAVE_MPI
	MPI_Comm world = MPI_COMM_WORLD;
	/* The same pool as on_local()'s; only the kind and the communicator
	 * differ. */
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_MPI, .mpi_comm = &world,
			     .tasks = tasks, .n_tasks = 1);
	pt_pool *pool;
	int provided = 0, rank = 0, size = 0, rc;

	if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE")) {
		fprintf(stderr, "pool_anywhere: --on mpi runs under mpirun "
				"with 2 ranks or more (see the top of "
				"pool_anywhere.c)\n");
		return 2;
	}
	MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (rank == 0) {
		rc = pt_pool_create(&opts, &pool);
		if (!rc) {
			rc = run(pool, "mpi");
			pt_pool_destroy(pool);
		} else {
			fprintf(stderr, "pool_anywhere: pool of %d ranks: %s\n",
				size, pt_strerror(rc));
			rc = 1;
		}
	} else {
		/* a worker: runs what rank 0 sends until it is done */
		rc = pt_mpi_pool_serve(MPI_COMM_WORLD, &opts) ? 1 : 0;
	}
	MPI_Finalize();
	return rc;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "pool_anywhere: built without MPI; --on mpi needs "
			"procthread_mpi (scripts/bootstrap.sh --optional)\n");
	return 2;
#endif
}

int main(int argc, char **argv)
{
	const char *on = argc == 3 && !strcmp(argv[1], "--on") ? argv[2] : "";

	if (!strcmp(on, "threads"))
		return on_local(PT_KIND_THREAD, on);
	if (!strcmp(on, "processes"))
		return on_local(PT_KIND_PROCESS, on);
	if (!strcmp(on, "mpi"))
		return on_ranks(&argc, &argv);
	fprintf(stderr, "usage: pool_anywhere --on threads|processes|mpi\n");
	return 2;
}
