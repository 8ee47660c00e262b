/* mpi.c (bench) - the benchmark's ranks: rank 0 measures, the others serve
 * (bench/suites/mpi.h).
 *
 * Orders go from rank 0 to every serving rank as one small message on
 * MPI_COMM_WORLD (tag ORDER_TAG): start side B of an ipc case (rank 1
 * only), serve a pool (every serving rank, collectively with rank 0's
 * pt_pool_create() of a PT_KIND_MPI pool), or quit. Side B's verdict on an ipc
 * case comes back the same way. Each ipc case gets fresh tags, so nothing left
 * of one case can be taken for the next.
 */
#include "bench/suites/mpi.h"
#include "bench/engine/bench.h"
#include "bench/workloads/tasks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef PT_HAVE_MPI

#include <procthread/forkserver.h>
#include <procthread/mpi.h>

#define ORDER_TAG 7000
#define FIRST_TAG 7100
#define ACK_FLAG  (1ull << 63) /* as bench/suites/ipc.c */

enum { ORDER_IPC = 1, ORDER_POOL, ORDER_QUIT };

struct order {
	uint32_t op;
	uint32_t latency;
	uint64_t size;
	uint32_t capacity;
	uint32_t spin;
	int32_t cpu;
	int32_t tag;
};

static bool initialised; /* by us */
static bool our_server;	 /* the fork-server started before MPI_Init */
static int rank = -1, size;
static int next_tag = FIRST_TAG;

/* Read once, at the start, before any thread exists. */
static bool under_mpirun(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || // NOLINT(concurrency-mt-unsafe)
	       getenv("PMI_SIZE") || // NOLINT(concurrency-mt-unsafe)
	       getenv("PMIX_RANK");  // NOLINT(concurrency-mt-unsafe)
}

bool bench_mpi_active(void)
{
	return rank == 0 && size >= 2;
}

const char *bench_mpi_why_not(void)
{
	if (bench_mpi_active())
		return NULL;
	return "not run under mpirun with 2 ranks (mpirun --bind-to none "
	       "-np 2 procthread bench ...)";
}

static struct pt_chan_opts chan_opts(const struct order *o, size_t max,
				     uint32_t capacity)
{
	return PT_CHAN_OPTS(.max_msg_bytes = max, .capacity = capacity,
			    .spin_ns = o->spin ? PT_CHAN_SPIN_FOREVER : 0);
}

/* --- serving ranks -------------------------------------------------------- */

static int echo(pt_chan *in, pt_chan *out, unsigned char *buf, size_t cap)
{
	size_t len;
	int rc;

	while ((rc = pt_chan_recv(in, buf, cap, &len, -1)) == 0)
		if ((rc = pt_chan_send(out, buf, len, -1)))
			break;
	return rc;
}

static int sink(pt_chan *in, pt_chan *out, unsigned char *buf, size_t cap)
{
	uint64_t seq = 0, hdr;
	size_t len;
	int rc;

	while ((rc = pt_chan_recv(in, buf, cap, &len, -1)) == 0) {
		memcpy(&hdr, buf, sizeof(hdr));
		if (len != cap || (hdr & ~ACK_FLAG) != seq ||
		    (cap > sizeof(hdr) && buf[len - 1] != (unsigned char)seq))
			return -EBADMSG;
		seq++;
		if ((hdr & ACK_FLAG) &&
		    (rc = pt_chan_send(out, &seq, sizeof(seq), -1)))
			break;
	}
	return rc;
}

static int play_side_b(const struct order *o)
{
	struct pt_chan_opts fwd = chan_opts(o, o->size, o->capacity);
	struct pt_chan_opts back =
		o->latency ? fwd : chan_opts(o, sizeof(uint64_t), 4);
	unsigned char *buf = malloc(o->size < 8 ? 8 : o->size);
	pt_chan *in = NULL, *out = NULL;
	int rc = buf ? 0 : -ENOMEM;

	if (o->cpu >= 0)
		bench_pin_self(o->cpu);
	if (!rc)
		rc = pt_mpi_chan_create(MPI_COMM_WORLD, 0, o->tag, &fwd, &in);
	if (!rc)
		rc = pt_mpi_chan_create(MPI_COMM_WORLD, 0, o->tag + 2, &back,
					&out);
	if (!rc)
		rc = o->latency ? echo(in, out, buf, o->size)
				: sink(in, out, buf, o->size);
	if (rc == -ESHUTDOWN) /* rank 0 closed: the case is over */
		rc = 0;
	pt_chan_destroy(in);
	pt_chan_destroy(out);
	free(buf);
	return rc;
}

static void serve(void)
{
	struct order o;
	int verdict;

	for (;;) {
		MPI_Recv(&o, sizeof(o), MPI_BYTE, 0, ORDER_TAG, MPI_COMM_WORLD,
			 MPI_STATUS_IGNORE);
		if (o.op == ORDER_QUIT)
			return;
		if (o.op == ORDER_POOL) {
			bench_mpi_pool_serve();
			continue;
		}
		verdict = rank == 1 ? play_side_b(&o) : 0;
		if (rank == 1)
			MPI_Send(&verdict, 1, MPI_INT, 0, ORDER_TAG,
				 MPI_COMM_WORLD);
	}
}

static void order_all(const struct order *o)
{
	for (int r = 1; r < size; r++)
		MPI_Send(o, sizeof(*o), MPI_BYTE, r, ORDER_TAG, MPI_COMM_WORLD);
}

/* --- rank 0 --------------------------------------------------------------- */

int bench_mpi_begin(int *argc, char ***argv)
{
	int init = 0, provided = 0;

	if (!under_mpirun())
		return 0;
	MPI_Initialized(&init);
	if (!init) {
		/* Open MPI would print a stack trace for every deliberate
		 * crash of the bench's process units, which inherit its
		 * handlers through fork: leave signals alone. Before
		 * MPI_Init, with one thread. */
		// NOLINTNEXTLINE(concurrency-mt-unsafe)
		setenv("OMPI_MCA_opal_signal", "", 0);
		/* MPI_Init starts threads of MPI's own that allocate at any
		 * time; a process pool's worker forked from this process
		 * afterwards can inherit an allocator lock one of them held
		 * (GCC 12's ASan does not take its locks around fork(): a
		 * worker hung in free(), CI's mpi_bench_np2). Forked by a
		 * server started now, with one thread, workers are not
		 * forked from a threaded process at all. */
		our_server =
			!pt_forkserver_running() && pt_forkserver_start() == 0;
		if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE,
				    &provided) != MPI_SUCCESS)
			return -EIO;
		initialised = true;
	}
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (rank == 0)
		return 0;
	if (our_server)
		pt_forkserver_stop(); /* a serving rank starts no pool */
	our_server = false;
	serve();
	if (initialised)
		MPI_Finalize();
	return 1;
}

void bench_mpi_end(void)
{
	struct order quit = { .op = ORDER_QUIT };

	if (rank != 0)
		return;
	order_all(&quit);
	if (our_server)
		pt_forkserver_stop();
	our_server = false;
	if (initialised)
		MPI_Finalize();
	rank = -1;
}

int bench_mpi_ipc_open(bool latency, size_t msg_size, uint32_t capacity,
		       bool spin, int cpu_b, pt_chan **ab, pt_chan **ba)
{
	struct order o = { .op = ORDER_IPC,
			   .latency = latency,
			   .size = msg_size,
			   .capacity = capacity,
			   .spin = spin,
			   .cpu = cpu_b,
			   .tag = next_tag };
	struct pt_chan_opts fwd = chan_opts(&o, msg_size, capacity);
	struct pt_chan_opts back =
		latency ? fwd : chan_opts(&o, sizeof(uint64_t), 4);
	int rc;

	if (!bench_mpi_active())
		return -ENOTCONN;
	next_tag += 4;
	if (next_tag > 30000)
		next_tag = FIRST_TAG;
	order_all(&o);
	rc = pt_mpi_chan_create(MPI_COMM_WORLD, 1, o.tag, &fwd, ab);
	if (!rc)
		rc = pt_mpi_chan_create(MPI_COMM_WORLD, 1, o.tag + 2, &back,
					ba);
	return rc;
}

int bench_mpi_ipc_close(pt_chan *ab)
{
	int verdict = -EIO;

	if (!bench_mpi_active())
		return -ENOTCONN;
	/* side B's channels exist once it was ordered: end it either way */
	if (ab)
		pt_chan_close(ab);
	else
		return -EIO; /* cannot tell side B: the run is broken */
	MPI_Recv(&verdict, 1, MPI_INT, 1, ORDER_TAG, MPI_COMM_WORLD,
		 MPI_STATUS_IGNORE);
	return verdict;
}

/* --- the pool of ranks ------------------------------------------------------
 */

static const struct pt_pool_task registry[] = {
	{ "empty", bench_task_empty },
	{ "echo", bench_task_echo },
};

static struct pt_pool_opts pool_opts(size_t bytes)
{
	static const MPI_Comm world = MPI_COMM_WORLD;

	return PT_POOL_OPTS(.kind = PT_KIND_MPI, .mpi_comm = &world,
			    .tasks = registry, .n_tasks = 2,
			    .queue_capacity = 512, .max_arg_bytes = bytes,
			    .max_result_bytes = bytes);
}

int bench_mpi_pool_serve(void)
{
	/* the sizes are the owner's */
	struct pt_pool_opts o = pool_opts(0);

	return pt_mpi_pool_serve(MPI_COMM_WORLD, &o);
}

int bench_mpi_pool_create(size_t bytes, pt_pool **out)
{
	struct order o = { .op = ORDER_POOL };
	struct pt_pool_opts opts = pool_opts(bytes);

	if (!bench_mpi_active())
		return -ENOTCONN;
	order_all(&o);
	return pt_pool_create(&opts, out);
}

unsigned bench_mpi_serving_ranks(void)
{
	return bench_mpi_active() ? (unsigned)size - 1 : 0;
}

#else /* !PT_HAVE_MPI */

unsigned bench_mpi_serving_ranks(void)
{
	return 0;
}

int bench_mpi_pool_create(size_t bytes, pt_pool **out)
{
	(void)bytes;
	(void)out;
	return -ENOTSUP;
}

int bench_mpi_begin(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void bench_mpi_end(void)
{
}

bool bench_mpi_active(void)
{
	return false;
}

const char *bench_mpi_why_not(void)
{
	return "procthread was built without MPI (scripts/bootstrap.sh "
	       "--optional installs Open MPI)";
}

int bench_mpi_ipc_open(bool latency, size_t msg_size, uint32_t capacity,
		       bool spin, int cpu_b, pt_chan **ab, pt_chan **ba)
{
	(void)latency;
	(void)msg_size;
	(void)capacity;
	(void)spin;
	(void)cpu_b;
	(void)ab;
	(void)ba;
	return -ENOTSUP;
}

int bench_mpi_ipc_close(pt_chan *ab)
{
	(void)ab;
	return -ENOTSUP;
}

#endif
