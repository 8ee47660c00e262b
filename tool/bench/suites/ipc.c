/* ipc.c - the communication claim: what a message costs between
 * threads and between processes, over every channel transport, against
 * the two physical limits measured in the same run.
 *
 * Latency: side A sends a message of `size` bytes to side B on one channel
 * and B sends it back on another; one sample is one round trip (ns).
 * Throughput: A sends messages one way, B receives and checks every one
 * (its sequence number and last byte); the last message of each timed call
 * asks B for an acknowledgement, so a call ends only when B has everything
 * (messages/s, with a bytes/s twin). Side B is a pt_unit of the case's
 * kind, spawned after the channels were made; each side watches the other.
 *
 * The transports are the channel's (shm, pipe, unix, seqpacket, mqueue,
 * tcp, and locked for threads), plus shm-zerocopy: the ring through
 * reserve/commit and peek/release, the receiver checking the message in
 * place. The ring runs in three wait modes: spin (never sleeps, so only
 * across two CPUs), adaptive (the default: spins about as long as a sleep
 * and a wake-up cost, pt_chan_adaptive_spin_ns(), then sleeps) and block
 * (sleeps at once on a futex). Under mpirun, transport mpi is PT_CHAN_MPI
 * to rank 1, which plays side B there, in spin and block (bench/suites/mpi.h).
 *
 * The limits: limit-atomic, one cache line passed back and forth between
 * two CPUs by two spinning threads (no channel can beat it); limit-futex,
 * the same token with futex sleeps between two processes (the floor of any
 * blocking wait); limit-memcpy, memcpy of the same size on one CPU (no
 * copying channel can beat it); and limit-atomic-2line, the ping-pong with
 * a line per direction, the floor of any round trip over two one-way
 * channels. Each transport's cross-CPU figure is also
 * recorded as a ratio to its limit ("vs-limit", unit "x": for mode
 * latency the round trip over limit-atomic's, for mode throughput the
 * rate over limit-memcpy's at the same size).
 *
 * A last pair of cases has side B answer 1 ms late (param late_us), so
 * that an adaptive wait's spin is wasted: it shows what that costs beside
 * a wait that sleeps at once.
 *
 * Records: "latency" (ns per round trip), "throughput" (msgs/s) and its
 * twin "throughput-bytes" (B/s), "vs-limit" (x), and "cpu-per-message"
 * (ns): the CPU time both sides used, A's thread from set-up to
 * tear-down and B's unit over its life, over the messages A sent - the
 * price of spinning - all with params transport, size, mode, wait. ZeroMQ peers
 * (zmq-ipc, zmq-inproc) are in bench/peers/zmq.c.
 */
#include "bench/engine/bench.h"
#include "bench/suites/ipc.h"
#include "bench/suites/mpi.h"
#include "bench/peers/peers.h"

#include <procthread/chan.h>
#include <procthread/unit.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACK_FLAG (1ull << 63)
#define JOIN_MS	 5000

/* The channel transports measured, in table order. */
struct transport {
	const char *name;
	enum pt_chan_transport t;
	bool zero_copy;
};

static const struct transport transports[] = {
	{ "shm", PT_CHAN_SHM, false },
	{ "shm-zerocopy", PT_CHAN_SHM, true },
	{ "pipe", PT_CHAN_PIPE, false },
	{ "unix", PT_CHAN_UNIX, false },
	{ "seqpacket", PT_CHAN_SEQPACKET, false },
	{ "mqueue", PT_CHAN_MQUEUE, false },
	{ "tcp", PT_CHAN_TCP, false },
	{ "locked", PT_CHAN_LOCKED, false },
	/* between two MPI ranks, under mpirun only (bench/suites/mpi.h) */
	{ "mpi", PT_CHAN_MPI, false },
};
#define N_TRANSPORTS (sizeof(transports) / sizeof(transports[0]))

enum ipc_wait { WAIT_SPIN, WAIT_ADAPTIVE, WAIT_BLOCK, N_WAITS };

static const char *const wait_names[N_WAITS] = { "spin", "adaptive", "block" };

static const uint64_t wait_spin_ns[N_WAITS] = { PT_CHAN_SPIN_FOREVER,
						PT_CHAN_SPIN_ADAPTIVE,
						PT_CHAN_SPIN_NEVER };

struct ipc {
	const struct transport *tr;
	enum pt_kind kind;
	enum ipc_wait wait;
	bool latency;
	size_t size;
	unsigned per_call; /* throughput: messages per timed call */
	unsigned late_us;  /* latency: B answers this late (0: at once) */

	pt_chan *ab; /* A -> B: the messages */
	pt_chan *ba; /* B -> A: replies, or acknowledgements */
	pt_unit *unit;
	/* Side B's argument: a copy made before the spawn, which nothing
	 * writes while B copies it (A writes unit and seq meanwhile). */
	struct ipc *b_arg;
	unsigned char *buf_a, *buf_b;
	int pid_a;
	uint64_t seq; /* throughput: A's next message */
	/* the CPU both sides used, and the messages A sent meanwhile */
	uint64_t messages;
	uint64_t cpu_a_start, cpu_ns;
	bool cpu_known;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- helpers ---------------------------------------------------------- */

/* The largest message a POSIX queue may carry here (fs.mqueue.msgsize_max
 * binds a process without CAP_SYS_RESOURCE). */
static size_t mq_msgsize_max(void)
{
	static size_t cached;
	unsigned long v = 0;
	char line[32];
	FILE *f;

	if (cached)
		return cached;
	f = fopen("/proc/sys/fs/mqueue/msgsize_max", "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			v = strtoul(line, NULL, 10);
		fclose(f);
	}
	cached = v ? v : 8192;
	return cached;
}

/* --- side B ----------------------------------------------------------- */

/* Checks message seq of a throughput stream, len bytes at p. */
static bool valid(const unsigned char *p, size_t len, size_t size, uint64_t seq,
		  bool *ack)
{
	uint64_t hdr;

	if (len != size)
		return false;
	memcpy(&hdr, p, sizeof(hdr));
	*ack = hdr & ACK_FLAG;
	return (hdr & ~ACK_FLAG) == seq &&
	       (size <= sizeof(hdr) || p[len - 1] == (unsigned char)seq);
}

static int b_take(struct ipc *p, struct pt_chan_msg *msg, size_t *len)
{
	int rc;

	if (p->tr->zero_copy) {
		rc = pt_chan_peek(p->ab, msg, -1);
		*len = msg->len;
		return rc;
	}
	msg->data = p->buf_b;
	return pt_chan_recv(p->ab, p->buf_b, p->size, len, -1);
}

static int b_give_back(struct ipc *p, struct pt_chan_msg *msg)
{
	return p->tr->zero_copy ? pt_chan_release(p->ab, msg) : 0;
}

static int b_echo(struct ipc *p)
{
	struct pt_chan_msg in, out;
	size_t len;
	int rc;

	while ((rc = b_take(p, &in, &len)) == 0) {
		if (p->late_us) {
			struct timespec ts = { 0, (long)p->late_us * 1000 };

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		if (p->tr->zero_copy) {
			rc = pt_chan_reserve(p->ba, len, &out, -1);
			if (!rc) {
				memcpy(out.data, in.data, len);
				out.len = len;
				rc = pt_chan_commit(p->ba, &out);
			}
		} else {
			rc = pt_chan_send(p->ba, p->buf_b, len, -1);
		}
		if (!rc)
			rc = b_give_back(p, &in);
		if (rc)
			break;
	}
	return rc;
}

static int b_sink(struct ipc *p)
{
	struct pt_chan_msg in;
	uint64_t seq = 0;
	size_t len;
	bool ack;
	int rc;

	while ((rc = b_take(p, &in, &len)) == 0) {
		if (!valid(in.data, len, p->size, seq, &ack))
			return -EBADMSG;
		seq++;
		rc = b_give_back(p, &in);
		if (!rc && ack)
			rc = pt_chan_send(p->ba, &seq, sizeof(seq), -1);
		if (rc)
			break;
	}
	return rc;
}

static int side_b(void *arg)
{
	/* A copy: a thread side B reading side A's struct at every message
	 * would share the line that A writes (its sequence number) and
	 * measure false sharing, not the channel. */
	struct ipc copy = *(struct ipc *)arg;
	struct ipc *p = &copy;
	int rc = 0;

	if (p->kind == PT_KIND_PROCESS) {
		rc = pt_chan_watch(p->ab, p->pid_a);
		if (!rc)
			rc = pt_chan_watch(p->ba, p->pid_a);
	}
	if (!rc)
		rc = p->latency ? b_echo(p) : b_sink(p);
	/* A closes the channel to end the case: that is success. */
	return rc == -ESHUTDOWN ? 0 : 1;
}

/* --- side A ----------------------------------------------------------- */

static int a_send(struct ipc *p, size_t len)
{
	struct pt_chan_msg msg;
	int rc;

	if (!p->tr->zero_copy)
		return pt_chan_send(p->ab, p->buf_a, len, -1);
	rc = pt_chan_reserve(p->ab, len, &msg, -1);
	if (rc)
		return rc;
	/* producing the message in place costs what copying it in does */
	memcpy(msg.data, p->buf_a, len);
	msg.len = len;
	return pt_chan_commit(p->ab, &msg);
}

static int run_latency(void *arg, uint64_t n)
{
	struct ipc *p = arg;
	struct pt_chan_msg msg;
	size_t len = 0;
	int rc = 0;

	p->messages += n;
	for (uint64_t i = 0; i < n && !rc; i++) {
		rc = a_send(p, p->size);
		if (rc)
			break;
		if (p->tr->zero_copy) {
			rc = pt_chan_peek(p->ba, &msg, -1);
			len = msg.len;
			if (!rc)
				rc = pt_chan_release(p->ba, &msg);
		} else {
			rc = pt_chan_recv(p->ba, p->buf_a, p->size, &len, -1);
		}
		if (!rc && len != p->size)
			rc = -EBADMSG;
	}
	return rc;
}

static int run_throughput(void *arg, uint64_t n)
{
	struct ipc *p = arg;
	uint64_t total = n * p->per_call;
	uint64_t acked = 0;
	size_t len;
	int rc = 0;

	p->messages += total;
	for (uint64_t i = 0; i < total && !rc; i++) {
		uint64_t hdr = p->seq | (i + 1 == total ? ACK_FLAG : 0);

		memcpy(p->buf_a, &hdr, sizeof(hdr));
		if (p->size > sizeof(hdr))
			p->buf_a[p->size - 1] = (unsigned char)p->seq;
		rc = a_send(p, p->size);
		p->seq++;
	}
	if (!rc)
		rc = pt_chan_recv(p->ba, &acked, sizeof(acked), &len, -1);
	if (!rc && acked != p->seq)
		rc = -EBADMSG;
	return rc;
}

static uint32_t capacity_for(const struct ipc *p)
{
	/* 8 MiB of ring, and at least two slots: a ring past the cache runs
	 * at the speed of memory (4 MiB messages: 14.7 GB/s in 2 slots, 7.8
	 * in 8, docs/design.md "Large messages"). Latency: one message in
	 * flight, but room enough that the sender seldom has to look at the
	 * receiver's counter (64 slots up to 128 KiB messages). */
	size_t cap = ((size_t)8 << 20) / p->size;
	size_t most = p->latency ? 64 : 256;

	return (uint32_t)(cap < 2 ? 2 : cap > most ? most : cap);
}

static int ipc_setup(void *arg, const struct bench_where *where)
{
	struct ipc *p = arg;
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = p->tr->t, .kind = p->kind,
			     .max_msg_bytes = p->size,
			     .capacity = capacity_for(p),
			     .spin_ns = wait_spin_ns[p->wait]);
	struct pt_chan_opts back = opts;
	struct pt_unit_opts uopts =
		PT_UNIT_OPTS(.kind = p->kind, .name = "pt-bench-ipc",
			     .cpu_mask = bench_cpu_mask(where, 1));
	int rc;

	p->pid_a = (int)getpid();
	p->seq = 0;
	p->messages = 0;
	p->cpu_known = false;
	p->cpu_a_start = thread_cpu_ns();
	/* Buffers first: a process side B gets its copy at the fork. */
	/* each on lines of its own: two threads write them */
	p->buf_a = bench_line_alloc(p->size);
	p->buf_b = bench_line_alloc(p->size);
	if (!p->buf_a || !p->buf_b)
		return -ENOMEM;
	if (!p->latency) {
		/* acknowledgements: small, on the same transport */
		back.max_msg_bytes = sizeof(uint64_t);
		back.capacity = 4;
	}
	if (p->tr->t == PT_CHAN_MPI) /* side B is rank 1 */
		return bench_mpi_ipc_open(p->latency, p->size, opts.capacity,
					  p->wait == WAIT_SPIN, where->cpu[1],
					  &p->ab, &p->ba);
	rc = pt_chan_create(&opts, &p->ab);
	if (!rc)
		rc = pt_chan_create(&back, &p->ba);
	if (!rc) {
		p->b_arg = malloc(sizeof(*p));
		rc = p->b_arg ? 0 : -ENOMEM;
	}
	if (!rc) {
		*p->b_arg = *p;
		rc = pt_unit_spawn(&uopts, side_b, p->b_arg, &p->unit);
	}
	if (!rc && p->kind == PT_KIND_PROCESS) {
		rc = pt_chan_watch(p->ab, pt_unit_pid(p->unit));
		if (!rc)
			rc = pt_chan_watch(p->ba, pt_unit_pid(p->unit));
	}
	return rc;
}

static void ipc_teardown(void *arg)
{
	struct ipc *p = arg;
	struct pt_status st;
	bool b_gone = true;

	if (p->tr->t == PT_CHAN_MPI)
		bench_mpi_ipc_close(p->ab);
	if (p->unit) {
		pt_chan_close(p->ab);
		if (pt_unit_join(p->unit, JOIN_MS, &st) == 0) {
			p->cpu_ns = thread_cpu_ns() - p->cpu_a_start +
				    st.usage.user_ns + st.usage.system_ns;
			p->cpu_known = true;
		} else if (p->kind == PT_KIND_PROCESS) {
			pt_unit_kill(p->unit, SIGKILL);
		} else {
			b_gone = false; /* may still read b_arg */
		}
		pt_unit_destroy(p->unit);
		p->unit = NULL;
	}
	if (b_gone)
		free(p->b_arg);
	p->b_arg = NULL;
	pt_chan_destroy(p->ab);
	pt_chan_destroy(p->ba);
	p->ab = p->ba = NULL;
	free(p->buf_a);
	free(p->buf_b);
	p->buf_a = p->buf_b = NULL;
}

/* --- the cases -------------------------------------------------------- */

static const size_t all_sizes[] = { 8, 64, 512, 4096, 65536, 1 << 20, 4 << 20 };

static const char *wait_name(const struct ipc *p)
{
	if (p->tr->t != PT_CHAN_SHM && p->tr->t != PT_CHAN_MPI)
		return "block";
	return wait_names[p->wait];
}

/* The CPU per message of the case just measured, as a record of its own
 * beside it (one value per round; rounds.c merges them). */
static int emit_cpu(struct bench_ctx *ctx, const struct ipc *p,
		    const struct bench_case *measured)
{
	struct bench_case c = *measured;
	double v;

	if (!p->cpu_known || !p->messages)
		return 0;
	v = (double)p->cpu_ns / (double)p->messages;
	c.name = "cpu-per-message";
	c.unit = "ns";
	memset(c.twins, 0, sizeof(c.twins));
	return bench_emit(ctx, &c, &v, 1);
}

/* Measures one case. limit: the median it is compared with (0: none).
 * Returns 0, or -1 when it failed (noted by the engine). */
static int one_case(struct bench_ctx *ctx, struct ipc *p,
		    enum bench_place place, double limit)
{
	const struct bench_param params[] = {
		BENCH_STR("transport", p->tr->name),
		BENCH_INT("size", p->size),
		BENCH_STR("mode", p->latency ? "latency" : "throughput"),
		BENCH_STR("wait", wait_name(p)),
		BENCH_INT("late_us", p->late_us),
	};
	struct bench_case c = {
		.name = p->latency ? "latency" : "throughput",
		.kind = p->kind == PT_KIND_THREAD ? BENCH_THREAD
						  : BENCH_PROCESS,
		.place = place,
		.params = params,
		.n_params = p->late_us ? 5 : 4,
		.setup = ipc_setup,
		.run = p->latency ? run_latency : run_throughput,
		.teardown = ipc_teardown,
		.arg = p,
	};
	size_t twin = 0;

	if (!p->latency) {
		c.unit = "msgs/s";
		c.ops_per_call = p->per_call;
		c.twins[twin++] = (struct bench_twin){
			.name = "throughput-bytes",
			.unit = "B/s",
			.scale = (double)p->size,
		};
	}
	/* The ratio to the limit: round trip over the atomic ping-pong, or
	 * throughput over memcpy's (both medians of this run). */
	if (limit > 0 && place == BENCH_CROSS_CPU)
		c.twins[twin] = (struct bench_twin){
			.name = "vs-limit",
			.unit = "x",
			.scale = 1.0 / limit,
			/* a share of memcpy's rate; a round trip's multiple
			 * of its floor is a cost */
			.higher_is_better = !p->latency,
		};
	if (bench_measure(ctx, &c))
		return -1;
	return emit_cpu(ctx, p, &c) ? -1 : 0;
}

/* Whether a transport, kind and wait belong in this run; a refusal the
 * system makes (mqueue sizes) is noted once per transport. */
static bool wanted(struct bench_ctx *ctx, const struct transport *tr,
		   enum pt_kind kind, enum ipc_wait wait, size_t size)
{
	static bool mq_noted;

	if (tr->t == PT_CHAN_LOCKED && kind != PT_KIND_THREAD)
		return false; /* threads only, by design */
	if (tr->t == PT_CHAN_MPI)
		return kind == PT_KIND_PROCESS && bench_mpi_active() &&
		       wait != WAIT_ADAPTIVE;
	if (wait != WAIT_BLOCK && tr->t != PT_CHAN_SHM)
		return false; /* kernel transports always sleep */
	if (tr->t == PT_CHAN_MQUEUE && size > mq_msgsize_max()) {
		if (!mq_noted)
			bench_note(ctx,
				   "ipc: mqueue skipped above %zu bytes "
				   "(fs.mqueue.msgsize_max)",
				   mq_msgsize_max());
		mq_noted = true;
		return false;
	}
	return true;
}

/* Which cases a profile runs: sizes, transports and placements. */
struct plan {
	const size_t *sizes;
	size_t n_sizes;
	bool all_transports; /* else shm, shm-zerocopy, pipe, unix */
	bool same_cpu;	     /* also one CPU (block waits only) */
	bool adaptive;	     /* also wait=adaptive (else spin and block) */
};

static unsigned per_call(size_t size)
{
	size_t n = ((size_t)16 << 20) / size;

	return (unsigned)(n < 16 ? 16 : n > 16384 ? 16384 : n);
}

static int mode_cases(struct bench_ctx *ctx, const struct plan *plan,
		      bool latency, double atomic_ns)
{
	int rc = 0;

	for (size_t s = 0; s < plan->n_sizes; s++) {
		size_t size = plan->sizes[s];
		double limit =
			latency ? atomic_ns : ipc_limit_memcpy(ctx, size);

		if (!latency && ipc_limit_memcpy_real(ctx, size) <= 0)
			rc = -1;

		for (size_t t = 0; t < N_TRANSPORTS; t++) {
			const struct transport *tr = &transports[t];

			if (!plan->all_transports && t > 3 &&
			    tr->t != PT_CHAN_MPI)
				continue;
			for (int w = 0; w < N_WAITS; w++) {
				for (int k = 0; k < 2; k++) {
					struct ipc p = {
						.tr = tr,
						.kind = k ? PT_KIND_PROCESS
							  : PT_KIND_THREAD,
						.wait = (enum ipc_wait)w,
						.latency = latency,
						.size = size,
						.per_call = per_call(size),
					};

					if (p.wait == WAIT_ADAPTIVE &&
					    !plan->adaptive)
						continue;
					if (!wanted(ctx, tr, p.kind, p.wait,
						    size))
						continue;
					if (bench_has_two_cpus(ctx) &&
					    one_case(ctx, &p, BENCH_CROSS_CPU,
						     limit))
						rc = -1;
					/* one CPU: a spinning wait only
					 * burns its peer's time slice */
					if ((plan->same_cpu ||
					     !bench_has_two_cpus(ctx)) &&
					    p.wait != WAIT_SPIN &&
					    one_case(ctx, &p, BENCH_SAME_CPU,
						     0))
						rc = -1;
				}
			}
		}
	}
	return rc;
}

/* A peer that answers late (LATE_US): what an adaptive wait costs when
 * its spin is wasted, beside a wait that sleeps at once, between two
 * processes on the ring at 64 bytes. */
#define LATE_US 1000
static int late_cases(struct bench_ctx *ctx)
{
	int rc = 0;

	for (int w = WAIT_ADAPTIVE; w <= WAIT_BLOCK; w++) {
		struct ipc p = {
			.tr = &transports[0],
			.kind = PT_KIND_PROCESS,
			.wait = (enum ipc_wait)w,
			.latency = true,
			.size = 64,
			.per_call = 1,
			.late_us = LATE_US,
		};

		if (one_case(ctx, &p, BENCH_CROSS_CPU, 0))
			rc = -1;
	}
	return rc;
}

static int ipc_run(struct bench_ctx *ctx)
{
	static const size_t quick_lat[] = { 8, 64 };
	static const size_t quick_tput[] = { 64, 1 << 20, 4 << 20 };
	static const size_t default_lat[] = { 8, 64, 4096, 65536 };
	enum bench_profile prof = bench_profile(ctx);
	struct plan lat = { all_sizes, 7, true, prof == BENCH_FULL, true };
	struct plan tput = { all_sizes, 7, true, prof == BENCH_FULL, true };
	double atomic_ns = 0;
	int rc = 0;

	/* quick: adaptive where it differs from spin, the round trip */
	if (prof == BENCH_QUICK) {
		lat = (struct plan){ quick_lat, 2, false, false, true };
		tput = (struct plan){ quick_tput, 3, false, false, false };
	} else if (prof == BENCH_DEFAULT) {
		lat = (struct plan){ default_lat, 4, true, false, true };
	}
	if (bench_has_two_cpus(ctx)) {
		atomic_ns = ipc_limit_pingpong(ctx, false);
		ipc_limit_check(ctx, atomic_ns);
		if (ipc_limit_two_lines(ctx) <= 0)
			rc = -1;
		if (ipc_limit_pingpong(ctx, true) <= 0)
			rc = -1;
		if (atomic_ns <= 0)
			rc = -1;
	} else {
		bench_note(ctx, "ipc: one usable CPU; cross-CPU cases and "
				"the limits skipped");
	}
	bench_note(ctx,
		   "ipc: wait=adaptive spins %.1f us before it sleeps (a "
		   "futex wake-up, measured on this machine)",
		   (double)pt_chan_adaptive_spin_ns() / 1000);
	if (mode_cases(ctx, &lat, true, atomic_ns))
		rc = -1;
	if (mode_cases(ctx, &tput, false, 0))
		rc = -1;
	if (bench_has_two_cpus(ctx) && late_cases(ctx))
		rc = -1;
	return rc;
}

const struct bench_suite bench_suite_ipc = {
	.name = "ipc",
	.summary = "messages between threads and between processes over "
		   "every channel transport, against the atomic ping-pong "
		   "and memcpy limits",
	.run = ipc_run,
	.peers = bench_ipc_peers,
	.peer_tools = "ZeroMQ (libzmq, loaded at run time), Eclipse iceoryx",
	.est_s = { 15, 150, 900 },
};
