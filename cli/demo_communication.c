/* demo_communication.c - how threads and processes pass messages.
 *
 * COMM_MESSAGES 8-byte messages (the numbers 0, 1, 2, ...) go from a
 * producer unit to a consumer unit, one at a time, by each means the kinds
 * have:
 * - two threads, through one shared variable: a word of the memory they
 *   already share, 0 while empty, the message + 1 while full;
 * - two processes, through a pipe: one write() and one read() a message;
 * - two processes, through the library's shared-memory channel (pt_chan,
 *   PT_CHAN_SHM with its default settings): a ring of slots in memory both
 *   map, with no system call while both sides are busy.
 * The consumer checks that each message is the next number. Both units
 * wait behind a gate; the time runs from the gate opening to the consumer
 * taking the last message, so creating the units is not counted.
 */
#include "cli/demo.h"

#include <procthread.h>
#include <procthread/chan.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMM_MESSAGES	   100000
#define MESSAGES_TEXT	   "100,000" /* COMM_MESSAGES, as people write it */
#define GATE_TIMEOUT_MS	   30000
#define SPINS_BEFORE_YIELD 128

struct comm_shared {
	struct pt_demo_gate gate;
	_Alignas(64) atomic_ullong box; /* the shared variable */
	_Alignas(64) uint64_t end_ns;	/* written by the consumer */
	uint64_t received;
	uint64_t in_order;
	int pipe_fd[2];
	pt_chan *chan;	 /* each process uses its inherited copy */
	int unit_pid[2]; /* producer, consumer: set before the gate opens */
};

struct comm_result {
	const char *label; /* what passed the messages */
	const char *key;   /* its JSON name */
	uint64_t ns;
	uint64_t received;
	uint64_t in_order;
};

/* Spinning first keeps the hand-over fast when both sides have a CPU;
 * yielding keeps it moving when they share one. */
static void backoff(unsigned *spins)
{
	if (++*spins >= SPINS_BEFORE_YIELD) {
		sched_yield();
		*spins = 0;
	}
}

static int var_producer(void *p)
{
	struct comm_shared *sh = p;
	unsigned spins = 0;

	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		while (atomic_load_explicit(&sh->box, memory_order_acquire)) {
			if (pt_cancelled())
				return 1;
			backoff(&spins);
		}
		atomic_store_explicit(&sh->box, i + 1, memory_order_release);
	}
	return 0;
}

static int var_consumer(void *p)
{
	struct comm_shared *sh = p;
	unsigned spins = 0;
	uint64_t v;

	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		while (!(v = atomic_load_explicit(&sh->box,
						  memory_order_acquire))) {
			if (pt_cancelled())
				return 1;
			backoff(&spins);
		}
		atomic_store_explicit(&sh->box, 0, memory_order_release);
		sh->received++;
		sh->in_order += v - 1 == i;
	}
	sh->end_ns = pt_demo_now_ns();
	return 0;
}

static int pipe_producer(void *p)
{
	struct comm_shared *sh = p;
	int fd = sh->pipe_fd[1];

	close(sh->pipe_fd[0]);
	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		/* 8 bytes are below PIPE_BUF: written whole or not at all. */
		while (write(fd, &i, sizeof(i)) < 0)
			if (errno != EINTR)
				return 1;
	}
	close(fd);
	return 0;
}

static int pipe_consumer(void *p)
{
	struct comm_shared *sh = p;
	int fd = sh->pipe_fd[0];
	uint64_t v;
	size_t got;
	ssize_t n;

	close(sh->pipe_fd[1]);
	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		for (got = 0; got < sizeof(v); got += (size_t)n) {
			n = read(fd, (char *)&v + got, sizeof(v) - got);
			if (n < 0 && errno == EINTR)
				n = 0;
			else if (n <= 0)
				return 1; /* the producer is gone */
		}
		sh->received++;
		sh->in_order += v == i;
	}
	sh->end_ns = pt_demo_now_ns();
	close(fd);
	return 0;
}

/* Each end watches the other, so that a peer's death ends a wait with
 * -EPIPE instead of never. */
static int chan_watch_peer(struct comm_shared *sh, int me)
{
	return pt_chan_watch(sh->chan, sh->unit_pid[1 - me]);
}

static int chan_producer(void *p)
{
	struct comm_shared *sh = p;

	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS) ||
	    chan_watch_peer(sh, 0))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++)
		if (pt_chan_send(sh->chan, &i, sizeof(i), -1))
			return 1;
	pt_chan_destroy(sh->chan);
	return 0;
}

static int chan_consumer(void *p)
{
	struct comm_shared *sh = p;
	size_t len;
	uint64_t v;

	pt_demo_gate_arrive(&sh->gate);
	if (!pt_demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS) ||
	    chan_watch_peer(sh, 1))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		if (pt_chan_recv(sh->chan, &v, sizeof(v), &len, -1) ||
		    len != sizeof(v))
			return 1;
		sh->received++;
		sh->in_order += v == i;
	}
	sh->end_ns = pt_demo_now_ns();
	pt_chan_destroy(sh->chan);
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "procthread demo communication: %s: %s\n", what,
		pt_strerror(err));
	return 1;
}

/* Runs producer and consumer as two units of kind and times them. The
 * parent's copies of fds (two of them, or NULL) are closed once both units
 * hold theirs, so a unit that dies leaves its peer an end-of-file or
 * EPIPE instead of a wait for ever. */
static int run_pair(enum pt_kind kind, pt_unit_fn *producer,
		    pt_unit_fn *consumer, struct comm_shared *sh, int *fds,
		    struct comm_result *r)
{
	pt_unit *units[2] = { 0 };
	struct pt_status st[2];
	uint64_t start;
	int err, rc = 1;

	for (int i = 0; i < 2; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = kind, .name = "pt-comm");

		err = pt_unit_spawn(&opts, i == 0 ? producer : consumer, sh,
				    &units[i]);
		if (err) {
			fail("create a unit", err);
			goto out;
		}
	}
	err = pt_demo_gate_await(&sh->gate, 2, GATE_TIMEOUT_MS);
	if (err) {
		fail("waiting for the units", err);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		sh->unit_pid[i] = pt_unit_pid(units[i]);
	for (int i = 0; fds && i < 2; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
	start = pt_demo_now_ns();
	pt_demo_gate_open(&sh->gate);
	pt_demo_join_all(units, 2, st);
	if (st[0].how != PT_EXIT_RETURNED || st[0].code ||
	    st[1].how != PT_EXIT_RETURNED || st[1].code) {
		fprintf(stderr,
			"procthread demo communication: a %s unit failed "
			"(%s)\n",
			pt_kind_name(kind), pt_exit_name(st[0].how));
		goto out;
	}
	r->ns = sh->end_ns - start;
	r->received = sh->received;
	r->in_order = sh->in_order;
	rc = 0;
out:
	pt_demo_gate_open(&sh->gate);
	for (int i = 0; i < 2; i++)
		pt_unit_destroy(units[i]);
	return rc;
}

static int run_variable(struct comm_result *r)
{
	struct comm_shared *sh = pt_demo_share(sizeof(*sh));
	int rc;

	if (!sh)
		return fail("memory", -ENOMEM);
	rc = run_pair(PT_THREAD, var_producer, var_consumer, sh, NULL, r);
	pt_demo_unshare(sh, sizeof(*sh));
	return rc;
}

static int run_pipe(struct comm_result *r)
{
	struct comm_shared *sh = pt_demo_share(sizeof(*sh));
	int fds[2], rc = 1;

	if (!sh)
		return fail("memory", -ENOMEM);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fail("pipe", -errno);
		goto out;
	}
	/* The units read their ends from here before they arrive at the
	 * gate; the parent keeps its own copy of the numbers. */
	memcpy(sh->pipe_fd, fds, sizeof(fds));
	rc = run_pair(PT_PROCESS, pipe_producer, pipe_consumer, sh, fds, r);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out:
	pt_demo_unshare(sh, sizeof(*sh));
	return rc;
}

/* The 1-minute load average, or -1. */
static double load_average(void)
{
	char buf[64] = "", *end;
	FILE *f = fopen("/proc/loadavg", "re");
	double load;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	load = strtod(buf, &end);
	return end == buf ? -1 : load;
}

/* r[0]: the shared variable, r[1]: the pipe, r[2]: the channel. */
static void print_conclusion(const struct pt_demo_ctx *ctx,
			     const struct comm_result *r)
{
	FILE *out = ctx->out;
	char var[32], pipe[32], chan[32];

	pt_demo_nobreak(
		pt_demo_duration(var, sizeof(var), r[0].ns / COMM_MESSAGES));
	pt_demo_nobreak(
		pt_demo_duration(pipe, sizeof(pipe), r[1].ns / COMM_MESSAGES));
	pt_demo_nobreak(
		pt_demo_duration(chan, sizeof(chan), r[2].ns / COMM_MESSAGES));
	if (r[0].ns > r[1].ns || r[0].ns > r[2].ns)
		fprintf(out,
			"\n(One shared variable makes each side wait for "
			"the other to run, message by\nmessage; on this busy "
			"machine, load %.1f on %ld CPUs, that cost more than "
			"a\nqueue.)\n",
			load_average(), sysconf(_SC_NPROCESSORS_ONLN));
	pt_demo_conclude(ctx,
			 "threads pass messages through memory they already "
			 "share (%s each through one variable); processes "
			 "share none, so they pass them through the kernel "
			 "(%s through a pipe) or through shared memory set up "
			 "on purpose (%s through the channel).",
			 var, pipe, chan);
}

static int run_chan(struct comm_result *r)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM,
			     .max_msg_bytes = sizeof(uint64_t));
	struct comm_shared *sh = pt_demo_share(sizeof(*sh));
	int err, rc = 1;

	if (!sh)
		return fail("memory", -ENOMEM);
	err = pt_chan_create(&opts, &sh->chan);
	if (err) {
		fail("create the channel", err);
		goto out;
	}
	rc = run_pair(PT_PROCESS, chan_producer, chan_consumer, sh, NULL, r);
	pt_chan_destroy(sh->chan);
out:
	pt_demo_unshare(sh, sizeof(*sh));
	return rc;
}

static void print_text(const struct pt_demo_ctx *ctx,
		       const struct comm_result *r, int n)
{
	FILE *out = ctx->out;
	const char *b = pt_demo_bold(ctx), *e = pt_demo_plain(ctx);
	char t[32], per[32], got[32], all[32];

	fprintf(out,
		"%scommunication%s: passing %s messages of 8 bytes, one at "
		"a time (pid %d)\n\n",
		b, e, MESSAGES_TEXT, (int)getpid());
	fprintf(out, "%-38s %-9s %-12s %s\n", "", "time", "per message",
		"arrived in order");
	for (int i = 0; i < n; i++) {
		pt_demo_duration(t, sizeof(t), r[i].ns);
		pt_demo_duration(per, sizeof(per), r[i].ns / COMM_MESSAGES);
		fprintf(out, "%-38s %-9s %-12s %s of %s\n", r[i].label, t, per,
			pt_demo_group(got, sizeof(got), r[i].in_order),
			pt_demo_group(all, sizeof(all), COMM_MESSAGES));
	}
	print_conclusion(ctx, r);
}

static int demo_communication(const struct pt_demo_ctx *ctx, json_t *facts)
{
	struct comm_result r[] = {
		{ .label = "two threads, one shared variable",
		  .key = "thread_shared_variable" },
		{ .label = "two processes, a pipe", .key = "process_pipe" },
		{ .label = "two processes, shared-memory channel",
		  .key = "process_shm_channel" },
	};
	int n = (int)(sizeof(r) / sizeof(r[0]));

	if (run_variable(&r[0]) || run_pipe(&r[1]) || run_chan(&r[2]))
		return 1;
	if (!ctx->json) {
		print_text(ctx, r, n);
		return 0;
	}
	json_object_set_new(facts, "messages", json_integer(COMM_MESSAGES));
	for (int i = 0; i < n; i++)
		json_object_set_new(
			facts, r[i].key,
			json_pack("{s:I, s:f, s:I, s:I}", "total_ns",
				  (json_int_t)r[i].ns, "per_message_ns",
				  (double)r[i].ns / COMM_MESSAGES, "received",
				  (json_int_t)r[i].received, "in_order",
				  (json_int_t)r[i].in_order));
	return 0;
}

const struct pt_demo pt_demo_communication = {
	.name = "communication",
	.summary = "pass 100,000 messages: shared variable, pipe, channel",
	.run = demo_communication,
};
