/* chan.c - the channel scenario of the fault-schedule test.
 *
 * One or two producer processes send numbered messages to the schedule's
 * process over a channel of a random transport (the ring, SPSC or MPMC;
 * pipe, UNIX stream, SEQPACKET, TCP, mqueue), while the schedule kills a
 * producer with SIGKILL (mid-message on the stream transports, whose large
 * messages span many writes: a torn frame), stops and continues one, or
 * signals the whole group. The consumer receives with a short timeout.
 *
 * The model: every recv returns within its timeout plus a stated slack;
 * each producer's messages arrive whole (content and length follow from
 * the producer and sequence number), in order, without duplicates; a
 * producer that lived sent all its messages and all of them arrive, even
 * when the other producer of an MPMC ring was killed; a killed producer's
 * messages arrive as a prefix of what it sent, less at most the one it was
 * writing. Then the ledger. */
#include "faults/faults.h"

#include "support/msg_pattern.h"

#include <procthread.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PRODUCERS 2
/* A recv's timeout, and how late past it a recv may return. */
#define RECV_TIMEOUT_MS 100
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RECV_SLACK_MS 1000
#else
#define RECV_SLACK_MS 400
#endif
/* The whole stream must be through by then. */
#define STREAM_LIMIT_MS 20000

/* Each message: its producer and number, then the pattern of message
 * (number * MAX_PRODUCERS + producer), so a torn or foreign one shows. */
struct header {
	uint32_t producer;
	uint32_t seq;
};

struct producer_arg {
	pt_chan *chan;
	uint32_t id;
	uint32_t count;
	size_t max_body;
};

static int pattern_index(uint32_t producer, uint32_t seq)
{
	return (int)(seq * MAX_PRODUCERS + producer);
}

static int produce(void *argp)
{
	struct producer_arg *a = argp;
	size_t cap = sizeof(struct header) + a->max_body;
	unsigned char *buf = malloc(cap);

	if (!buf)
		return 1;
	for (uint32_t seq = 0; seq < a->count; seq++) {
		struct header h = { a->id, seq };
		int k = pattern_index(a->id, seq);
		size_t len = pt_test_msg_len(k, a->max_body);
		int rc;

		memcpy(buf, &h, sizeof(h));
		pt_test_msg_fill(buf + sizeof(h), k, len);
		rc = pt_chan_send(a->chan, buf, sizeof(h) + len, 10000);
		if (rc)
			return 2;
	}
	free(buf);
	return 0;
}

struct stream {
	uint32_t next[MAX_PRODUCERS]; /* the seq expected next */
	bool killed[MAX_PRODUCERS];
	bool lost_one[MAX_PRODUCERS];
};

/* Takes one message: whole, its producer's next (or, for a killed
 * producer, past a gap of one). */
static const char *take(struct stream *st, const unsigned char *buf, size_t len,
			size_t max_body, unsigned nprod)
{
	struct header h;
	int k;

	if (len < sizeof(h))
		return faults_fail("a message of %zu bytes: torn", len);
	memcpy(&h, buf, sizeof(h));
	if (h.producer >= nprod)
		return faults_fail("a message from producer %u: torn",
				   h.producer);
	k = pattern_index(h.producer, h.seq);
	if (!pt_test_msg_matches(buf + sizeof(h), k, len - sizeof(h), max_body))
		return faults_fail("producer %u message %u: torn or wrong "
				   "(%zu bytes)",
				   h.producer, h.seq, len);
	if (h.seq == st->next[h.producer]) {
		st->next[h.producer]++;
		return NULL;
	}
	if (h.seq < st->next[h.producer])
		return faults_fail("producer %u message %u: duplicate or out "
				   "of order (expected %u)",
				   h.producer, h.seq, st->next[h.producer]);
	return faults_fail("producer %u: message %u lost (got %u)", h.producer,
			   st->next[h.producer], h.seq);
}

struct setup {
	enum pt_chan_transport transport;
	bool mpmc;
	bool watch;
	unsigned nprod;
	uint32_t count;
	size_t max_body;
};

enum fault { F_KILL, F_STOP_CONT, F_GROUP_SIGNAL, F_NONE };

/* Weighted towards what broke before: MPMC rings with a member killed, and
 * stream frames larger than a pipe's buffer (so a kill tears one). */
static void draw(struct faults_rng *rng, struct setup *s)
{
	static const enum pt_chan_transport streams[] = { PT_CHAN_PIPE,
							  PT_CHAN_UNIX,
							  PT_CHAN_TCP };
	unsigned pick = faults_below(rng, 100);
	bool stream = false;

	s->mpmc = false;
	if (pick < 30) {
		s->transport = PT_CHAN_SHM;
		s->mpmc = true;
	} else if (pick < 45) {
		s->transport = PT_CHAN_SHM;
	} else if (pick < 80) {
		s->transport = streams[faults_below(rng, 3)];
		stream = true;
	} else if (pick < 90) {
		s->transport = PT_CHAN_SEQPACKET;
	} else {
		s->transport = PT_CHAN_MQUEUE;
	}
	s->nprod = s->mpmc ? MAX_PRODUCERS : 1;
	s->watch = faults_chance(rng, 50);
	s->count = 50 + faults_below(rng, 300);
	/* Large messages widen the window in which a killed member holds
	 * a claimed slot or a half-written frame. */
	if (stream && faults_chance(rng, 70))
		s->max_body = 200000;
	else if (s->mpmc && faults_chance(rng, 60))
		s->max_body = 65536;
	else
		s->max_body = s->transport == PT_CHAN_MQUEUE ? 2000 : 4000;
}

static enum fault draw_fault(struct faults_rng *rng)
{
	unsigned pick = faults_below(rng, 100);

	return pick < 50   ? F_KILL
	       : pick < 70 ? F_STOP_CONT
	       : pick < 85 ? F_GROUP_SIGNAL
			   : F_NONE;
}

const char *faults_chan(struct faults_rng *rng, struct faults_log *log)
{
	struct setup s;
	struct faults_ledger ledger;
	struct producer_arg pargs[MAX_PRODUCERS];
	pt_unit *units[MAX_PRODUCERS] = { NULL };
	struct stream st;
	enum fault fault = draw_fault(rng);
	unsigned victim, fault_after;
	unsigned received = 0;
	const char *verdict = NULL;
	unsigned char *buf;
	size_t cap;
	pt_chan *chan = NULL;
	uint64_t start;
	int rc;

	memset(&st, 0, sizeof(st));
	draw(rng, &s);
	victim = faults_below(rng, s.nprod);
	fault_after = faults_below(rng, s.count);
	faults_note(log, " %s%s%s producers=%u count=%u max=%zu",
		    pt_chan_transport_name(s.transport), s.mpmc ? " mpmc" : "",
		    s.watch ? " watched" : "", s.nprod, s.count, s.max_body);
	faults_ledger_take(&ledger);
	cap = sizeof(struct header) + s.max_body;
	buf = malloc(cap);
	{
		struct pt_chan_opts o =
			PT_CHAN_OPTS(.transport = s.transport,
				     .kind = PT_KIND_PROCESS,
				     .max_msg_bytes = cap, .capacity = 16,
				     .flags = s.mpmc ? PT_CHAN_MPMC : 0);

		rc = buf ? pt_chan_create(&o, &chan) : -ENOMEM;
	}
	if (rc) {
		free(buf);
		/* A transport this machine cannot make is no fault. */
		if (rc == -EMSGSIZE || rc == -ENOTSUP)
			return NULL;
		return faults_fail("chan create: %s", pt_strerror(rc));
	}
	for (unsigned p = 0; p < s.nprod; p++) {
		struct pt_unit_opts uo =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .fork_via = PT_UNIT_FORK_DIRECT);

		pargs[p] =
			(struct producer_arg){ chan, p, s.count, s.max_body };
		rc = pt_unit_spawn(&uo, produce, &pargs[p], &units[p]);
		if (rc) {
			verdict = faults_fail("spawn: %s", pt_strerror(rc));
			goto out;
		}
		if (s.watch && s.nprod == 1)
			pt_chan_watch(chan, pt_unit_pid(units[p]));
	}
	start = faults_now_ns();
	while (!verdict) {
		uint64_t t0 = faults_now_ns();
		uint64_t took_ms;
		size_t len = 0;
		bool all = true;

		if (fault != F_NONE && received == fault_after) {
			int pid = pt_unit_pid(units[victim]);

			if (fault == F_KILL) {
				faults_note(log, " kill-producer-%u@%u", victim,
					    received);
				st.killed[victim] = true;
				kill(pid, SIGKILL);
			} else if (fault == F_STOP_CONT) {
				faults_note(log, " stop-cont@%u", received);
				kill(pid, SIGSTOP);
				faults_sleep_ms(30);
				kill(pid, SIGCONT);
			} else {
				faults_signal_group(rng, log);
			}
			fault = F_NONE;
		}
		rc = pt_chan_recv(chan, buf, cap, &len, RECV_TIMEOUT_MS);
		took_ms = (faults_now_ns() - t0) / 1000000u;
		if (took_ms > RECV_TIMEOUT_MS + RECV_SLACK_MS) {
			verdict = faults_fail(
				"recv took %llu ms with a %d ms "
				"timeout (returned %s)",
				(unsigned long long)took_ms, RECV_TIMEOUT_MS,
				rc ? pt_strerror(rc) : "a message");
			break;
		}
		if (rc == 0) {
			verdict = take(&st, buf, len, s.max_body, s.nprod);
			received++;
			continue;
		}
		for (unsigned p = 0; p < s.nprod; p++)
			if (!st.killed[p] && st.next[p] < s.count)
				all = false;
		if (all)
			break; /* every live producer's messages are in */
		if (rc != -ETIMEDOUT && rc != -EAGAIN &&
		    !(rc == -EPIPE && st.killed[0] && s.nprod == 1)) {
			verdict = faults_fail("recv: %s after %u messages",
					      pt_strerror(rc), received);
			break;
		}
		if (rc == -EPIPE)
			break;
		if ((faults_now_ns() - start) / 1000000u > STREAM_LIMIT_MS)
			verdict = faults_fail(
				"after %d ms, a live producer's messages are "
				"still missing (%u received)",
				STREAM_LIMIT_MS, received);
	}
out:
	for (unsigned p = 0; p < s.nprod; p++) {
		struct pt_status ust;

		if (!units[p])
			continue;
		if (st.killed[p]) {
			pt_unit_destroy(units[p]);
			continue;
		}
		rc = pt_unit_join(units[p], 10000, &ust);
		if (!verdict && rc)
			verdict = faults_fail("producer %u: join: %s", p,
					      pt_strerror(rc));
		else if (!verdict && (ust.how != PT_EXIT_RETURNED || ust.code))
			verdict = faults_fail("producer %u ended %s (code %d, "
					      "signal %d)",
					      p, pt_exit_name(ust.how),
					      ust.code, ust.signal);
		pt_unit_destroy(units[p]);
	}
	pt_chan_destroy(chan);
	free(buf);
	if (!verdict)
		verdict = faults_ledger_check(&ledger);
	return verdict;
}
