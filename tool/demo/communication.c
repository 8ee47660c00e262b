/* communication.c - how threads and processes pass messages.
 *
 * The seed's claim: threads pass messages through memory they already
 * share; processes share none, so they first set some up, or go through
 * the kernel. The demo measures each part of it:
 * - the same queue for both kinds: COMM_MESSAGES 8-byte messages (the
 *   numbers 0, 1, 2, ...) from a producer unit to a consumer unit through
 *   the library's ring (pt_chan, PT_CHAN_SHM), between two threads and
 *   between two processes; and, for reference, through a pipe;
 * - the set-up each kind needs for that queue's memory: threads, ordinary
 *   memory (malloc); processes, a shared region created and mapped
 *   (pt_region_create), each the median of SETUP_TRIES;
 * - what only threads can do: hand over 1 MiB by passing a pointer to it,
 *   where processes must copy the MiB through the ring (BIG_MESSAGES).
 * The consumer checks that each message is the next number (and each MiB
 * carries its number at both ends). Both units wait behind a gate; the
 * time runs from the gate opening to the consumer taking the last
 * message, so creating the units is not counted.
 */
#include "demo/demo.h"

#include <procthread.h>
#include <procthread/chan.h>
#include <procthread/region.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMM_MESSAGES	100000
#define MESSAGES_TEXT	"100,000" /* COMM_MESSAGES, as people write it */
#define BIG_BYTES	((size_t)1 << 20)
#define BIG_MESSAGES	200
#define BIG_BUFFERS	8 /* threads' MiBs, reused in turn */
#define BIG_CAPACITY	4 /* < BIG_BUFFERS: a MiB is read before reuse */
#define SETUP_BYTES	((size_t)64 << 10)
#define SETUP_TRIES	101
#define GATE_TIMEOUT_MS 30000

struct comm_shared {
	struct demo_gate gate;
	_Alignas(64) uint64_t end_ns; /* written by the consumer */
	uint64_t received;
	uint64_t in_order;
	int pipe_fd[2];
	pt_chan *chan;	    /* each process uses its inherited copy */
	int unit_pid[2];    /* producer, consumer: set before the gate opens */
	unsigned char **mb; /* threads: BIG_BUFFERS MiBs to point at */
};

struct comm_result {
	const char *label; /* what passed the messages */
	const char *key;   /* its JSON name */
	uint64_t ns;
	uint64_t received;
	uint64_t in_order;
	uint64_t messages;
};

/* A MiB that carries number i at both ends. */
static void mark(unsigned char *mb, uint64_t i)
{
	memcpy(mb, &i, sizeof(i));
	memcpy(mb + BIG_BYTES - sizeof(i), &i, sizeof(i));
}

static bool marked(const unsigned char *mb, uint64_t i)
{
	uint64_t a, b;

	memcpy(&a, mb, sizeof(a));
	memcpy(&b, mb + BIG_BYTES - sizeof(b), sizeof(b));
	return a == i && b == i;
}

static int pipe_producer(void *p)
{
	struct comm_shared *sh = p;
	int fd = sh->pipe_fd[1];

	close(sh->pipe_fd[0]);
	demo_gate_arrive(&sh->gate);
	if (!demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
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
	demo_gate_arrive(&sh->gate);
	if (!demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
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
	sh->end_ns = demo_now_ns();
	close(fd);
	return 0;
}

/* Each end of a channel between processes watches the other, so that a
 * peer's death ends a wait with -EPIPE instead of never. Threads share
 * their fate: nothing to watch. */
static bool chan_start(struct comm_shared *sh, int me)
{
	demo_gate_arrive(&sh->gate);
	if (!demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return false;
	return sh->unit_pid[1 - me] == (int)getpid() ||
	       !pt_chan_watch(sh->chan, sh->unit_pid[1 - me]);
}

static int chan_producer(void *p)
{
	struct comm_shared *sh = p;

	if (!chan_start(sh, 0))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++)
		if (pt_chan_send(sh->chan, &i, sizeof(i), -1))
			return 1;
	return 0;
}

static int chan_consumer(void *p)
{
	struct comm_shared *sh = p;
	size_t len;
	uint64_t v;

	if (!chan_start(sh, 1))
		return 1;
	for (uint64_t i = 0; i < COMM_MESSAGES; i++) {
		if (pt_chan_recv(sh->chan, &v, sizeof(v), &len, -1) ||
		    len != sizeof(v))
			return 1;
		sh->received++;
		sh->in_order += v == i;
	}
	sh->end_ns = demo_now_ns();
	return 0;
}

/* Threads: a pointer to a MiB goes through the ring; the MiB stays put. */
static int pointer_producer(void *p)
{
	struct comm_shared *sh = p;

	if (!chan_start(sh, 0))
		return 1;
	for (uint64_t i = 0; i < BIG_MESSAGES; i++) {
		unsigned char *mb = sh->mb[i % BIG_BUFFERS];

		/* At most BIG_CAPACITY messages are unread, so the consumer
		 * is done with this MiB's previous use. */
		mark(mb, i);
		if (pt_chan_send(sh->chan, &mb, sizeof(mb), -1))
			return 1;
	}
	return 0;
}

static int pointer_consumer(void *p)
{
	struct comm_shared *sh = p;
	unsigned char *mb;
	size_t len;

	if (!chan_start(sh, 1))
		return 1;
	for (uint64_t i = 0; i < BIG_MESSAGES; i++) {
		if (pt_chan_recv(sh->chan, &mb, sizeof(mb), &len, -1) ||
		    len != sizeof(mb))
			return 1;
		sh->received++;
		sh->in_order += marked(mb, i);
	}
	sh->end_ns = demo_now_ns();
	return 0;
}

/* Processes: the MiB itself goes through the ring, copied in and out. */
static int copy_producer(void *p)
{
	struct comm_shared *sh = p;
	unsigned char *mb = malloc(BIG_BYTES);
	int rc = 0;

	if (!mb || !chan_start(sh, 0)) {
		free(mb);
		return 1;
	}
	memset(mb, 0x5a, BIG_BYTES);
	for (uint64_t i = 0; i < BIG_MESSAGES && !rc; i++) {
		mark(mb, i);
		rc = pt_chan_send(sh->chan, mb, BIG_BYTES, -1) ? 1 : 0;
	}
	free(mb);
	return rc;
}

static int copy_consumer(void *p)
{
	struct comm_shared *sh = p;
	unsigned char *mb = malloc(BIG_BYTES);
	size_t len;
	int rc = 0;

	if (!mb || !chan_start(sh, 1)) {
		free(mb);
		return 1;
	}
	for (uint64_t i = 0; i < BIG_MESSAGES && !rc; i++) {
		if (pt_chan_recv(sh->chan, mb, BIG_BYTES, &len, -1) ||
		    len != BIG_BYTES) {
			rc = 1;
			break;
		}
		sh->received++;
		sh->in_order += marked(mb, i);
	}
	sh->end_ns = demo_now_ns();
	free(mb);
	return rc;
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
	err = demo_gate_await(&sh->gate, 2, GATE_TIMEOUT_MS);
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
	start = demo_now_ns();
	demo_gate_open(&sh->gate);
	demo_join_all(units, 2, st);
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
	demo_gate_open(&sh->gate);
	for (int i = 0; i < 2; i++)
		pt_unit_destroy(units[i]);
	return rc;
}

static int run_pipe(struct comm_result *r)
{
	struct comm_shared *sh = demo_share(sizeof(*sh));
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
	rc = run_pair(PT_KIND_PROCESS, pipe_producer, pipe_consumer, sh, fds,
		      r);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out:
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

/* The same ring between two units of kind: small messages, or for big,
 * a MiB each (threads pass a pointer to it, processes the MiB). */
static int run_ring(enum pt_kind kind, bool big, struct comm_result *r)
{
	bool pointer = big && kind == PT_KIND_THREAD;
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM,
			     .max_msg_bytes = big && !pointer
						      ? BIG_BYTES
						      : sizeof(uint64_t),
			     .capacity = big ? BIG_CAPACITY : 0);
	struct comm_shared *sh = demo_share(sizeof(*sh));
	unsigned char *mb[BIG_BUFFERS] = { 0 };
	int err, rc = 1;

	if (!sh)
		return fail("memory", -ENOMEM);
	for (int i = 0; pointer && i < BIG_BUFFERS; i++) {
		mb[i] = malloc(BIG_BYTES);
		if (!mb[i]) {
			fail("memory", -ENOMEM);
			goto out;
		}
		memset(mb[i], 0x5a, BIG_BYTES);
	}
	sh->mb = mb;
	err = pt_chan_create(&opts, &sh->chan);
	if (err) {
		fail("create the channel", err);
		goto out;
	}
	rc = run_pair(kind,
		      pointer ? pointer_producer
		      : big   ? copy_producer
			      : chan_producer,
		      pointer ? pointer_consumer
		      : big   ? copy_consumer
			      : chan_consumer,
		      sh, NULL, r);
	pt_chan_destroy(sh->chan);
out:
	for (int i = 0; i < BIG_BUFFERS; i++)
		free(mb[i]);
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The median time of SETUP_TRIES set-ups of SETUP_BYTES of queue memory:
 * ordinary memory for threads, a shared region for processes. */
static int measure_setup(enum pt_kind kind, uint64_t *median_ns)
{
	uint64_t t[SETUP_TRIES];

	for (int i = 0; i < SETUP_TRIES; i++) {
		uint64_t start = demo_now_ns();
		pt_region *region = NULL;
		void *mem = NULL;
		int err = 0;

		if (kind == PT_KIND_THREAD) {
			mem = malloc(SETUP_BYTES);
			/* Keep the compiler from dropping the call. */
			__asm__ volatile("" : : "r"(mem) : "memory");
		} else {
			err = pt_region_create(SETUP_BYTES, 0, &region);
		}
		t[i] = demo_now_ns() - start;
		free(mem);
		if (err)
			return fail("create a shared region", err);
		if (kind == PT_KIND_PROCESS && !mem && !region)
			return fail("memory", -ENOMEM);
		pt_region_destroy(region);
	}
	qsort(t, SETUP_TRIES, sizeof(t[0]), cmp_u64);
	*median_ns = t[SETUP_TRIES / 2];
	return 0;
}

enum { R_THREAD_RING, R_PROCESS_RING, R_PIPE, R_POINTER, R_COPY, N_RESULTS };

struct comm_run {
	struct comm_result r[N_RESULTS];
	uint64_t setup_ns[2]; /* threads, processes */
};

static uint64_t per(const struct comm_result *r)
{
	return r->messages ? r->ns / r->messages : 0;
}

static void print_conclusion(const struct demo_ctx *ctx,
			     const struct comm_run *run)
{
	const struct comm_result *r = run->r;
	char thr[32], proc[32], pipe[32], set_t[32], set_p[32], ptr[32],
		copy[32], how[48];
	uint64_t pt = per(&r[R_PROCESS_RING]), tt = per(&r[R_THREAD_RING]);

	demo_nobreak(demo_duration(thr, sizeof(thr), tt));
	demo_nobreak(demo_duration(proc, sizeof(proc), pt));
	demo_nobreak(demo_duration(pipe, sizeof(pipe), per(&r[R_PIPE])));
	demo_nobreak(demo_duration(set_t, sizeof(set_t), run->setup_ns[0]));
	demo_nobreak(demo_duration(set_p, sizeof(set_p), run->setup_ns[1]));
	demo_nobreak(demo_duration(ptr, sizeof(ptr), per(&r[R_POINTER])));
	demo_nobreak(demo_duration(copy, sizeof(copy), per(&r[R_COPY])));
	if (pt > tt * 5 / 4 || tt > pt * 5 / 4)
		snprintf(how, sizeof(how), "%.1f times as much as",
			 (double)pt / (double)(tt ? tt : 1));
	else
		snprintf(how, sizeof(how), "about the same as");
	demo_conclude(
		ctx,
		"once the memory is shared, a message through the same ring "
		"costs processes %s threads (%s against %s; a pipe, through "
		"the kernel, %s). What processes pay is the sharing: the "
		"ring's memory must be a shared region created and mapped "
		"(%s, where threads use ordinary memory in %s), and data "
		"must be copied into it - 1 MiB took %s to copy through the "
		"ring, where a thread handed it over as a pointer in %s.",
		how, proc, thr, pipe, set_p, set_t, copy, ptr);
}

static void print_row(FILE *out, const struct comm_result *r, const char *what)
{
	char t[32], each[32], got[32], all[32];

	demo_duration(t, sizeof(t), r->ns);
	demo_duration(each, sizeof(each), per(r));
	fprintf(out, "  %-48s %-9s %-12s %s of %s%s\n", r->label, t, each,
		demo_group(got, sizeof(got), r->in_order),
		demo_group(all, sizeof(all), r->messages), what);
}

static void print_text(const struct demo_ctx *ctx, const struct comm_run *run)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *e = demo_plain(ctx);
	char t[32], p[32];

	fprintf(out,
		"%scommunication%s: threads and processes passing messages "
		"(pid %d)\n\n",
		b, e, (int)getpid());
	fprintf(out, "%s 8-byte messages, one at a time:\n", MESSAGES_TEXT);
	fprintf(out, "  %-48s %-9s %-12s %s\n", "", "time", "per message",
		"arrived in order");
	for (int i = R_THREAD_RING; i <= R_PIPE; i++)
		print_row(out, &run->r[i], "");
	fprintf(out,
		"\nsetting up 64 KiB of memory for the queue (median of "
		"%d):\n",
		SETUP_TRIES);
	fprintf(out, "  %-48s %s\n", "threads: ordinary memory (malloc)",
		demo_duration(t, sizeof(t), run->setup_ns[0]));
	fprintf(out, "  %-48s %s\n",
		"processes: a shared region, created and mapped",
		demo_duration(p, sizeof(p), run->setup_ns[1]));
	fprintf(out, "\n%d messages of 1 MiB:\n", BIG_MESSAGES);
	fprintf(out, "  %-48s %-9s %-12s %s\n", "", "time", "per MiB",
		"arrived intact");
	for (int i = R_POINTER; i <= R_COPY; i++)
		print_row(out, &run->r[i], "");
	print_conclusion(ctx, run);
}

static json_t *result_json(const struct comm_result *r)
{
	return json_pack("{s:I, s:I, s:f, s:I, s:I}", "messages",
			 (json_int_t)r->messages, "total_ns", (json_int_t)r->ns,
			 "per_message_ns",
			 r->messages ? (double)r->ns / (double)r->messages : 0,
			 "received", (json_int_t)r->received, "in_order",
			 (json_int_t)r->in_order);
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct comm_run run = {
		.r = {
			[R_THREAD_RING] = { .label = "two threads, the ring",
					    .key = "thread_ring",
					    .messages = COMM_MESSAGES },
			[R_PROCESS_RING] = { .label = "two processes, the "
						      "same ring",
					     .key = "process_ring",
					     .messages = COMM_MESSAGES },
			[R_PIPE] = { .label = "two processes, a pipe",
				     .key = "process_pipe",
				     .messages = COMM_MESSAGES },
			[R_POINTER] = { .label = "two threads, a pointer to it "
						 "through the ring",
					.key = "thread_pointer_1mib",
					.messages = BIG_MESSAGES },
			[R_COPY] = { .label = "two processes, copied through "
					      "the ring",
				     .key = "process_copy_1mib",
				     .messages = BIG_MESSAGES },
		},
	};

	if (run_ring(PT_KIND_THREAD, false, &run.r[R_THREAD_RING]) ||
	    run_ring(PT_KIND_PROCESS, false, &run.r[R_PROCESS_RING]) ||
	    run_pipe(&run.r[R_PIPE]) ||
	    measure_setup(PT_KIND_THREAD, &run.setup_ns[0]) ||
	    measure_setup(PT_KIND_PROCESS, &run.setup_ns[1]) ||
	    run_ring(PT_KIND_THREAD, true, &run.r[R_POINTER]) ||
	    run_ring(PT_KIND_PROCESS, true, &run.r[R_COPY]))
		return 1;
	if (!ctx->json) {
		print_text(ctx, &run);
		return 0;
	}
	for (int i = 0; i < N_RESULTS; i++)
		json_object_set_new(facts, run.r[i].key,
				    result_json(&run.r[i]));
	json_object_set_new(facts, "setup",
			    json_pack("{s:I, s:I, s:I}", "bytes",
				      (json_int_t)SETUP_BYTES, "thread_ns",
				      (json_int_t)run.setup_ns[0], "process_ns",
				      (json_int_t)run.setup_ns[1]));
	return 0;
}

const struct demo demo_communication = {
	.name = "communication",
	.summary = "the same ring for threads and processes, its set-up, and "
		   "1 MiB passed by pointer or copied",
	.run = run_demo,
};
