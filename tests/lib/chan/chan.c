/* test_chan - the channel conformance suite: every body runs for every
 * transport and both kinds of peer (the loop index picks a row of cases[];
 * support/kinds.h may leave the processes out). The peer is a
 * unit spawned after the channel was made, as chan.h's model says. */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"
#include "support/msg_pattern.h"
#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#define MAX_MSG 1000
#define NMSG	2000

/* Every conformance body runs each of these: every transport between
 * threads, then between processes (but LOCKED, which refuses them:
 * locked_between_processes_is_refused). */
struct chan_case {
	const char *name; /* shown on failure (pt_test_case()) */
	enum pt_chan_transport transport;
	enum pt_kind kind;
};

static const struct chan_case cases[] = {
	{ "shm, threads", PT_CHAN_SHM, PT_KIND_THREAD },
	{ "pipe, threads", PT_CHAN_PIPE, PT_KIND_THREAD },
	{ "unix, threads", PT_CHAN_UNIX, PT_KIND_THREAD },
	{ "tcp, threads", PT_CHAN_TCP, PT_KIND_THREAD },
	{ "seqpacket, threads", PT_CHAN_SEQPACKET, PT_KIND_THREAD },
	{ "mqueue, threads", PT_CHAN_MQUEUE, PT_KIND_THREAD },
	{ "locked, threads", PT_CHAN_LOCKED, PT_KIND_THREAD },
	{ "shm, processes", PT_CHAN_SHM, PT_KIND_PROCESS },
	{ "pipe, processes", PT_CHAN_PIPE, PT_KIND_PROCESS },
	{ "unix, processes", PT_CHAN_UNIX, PT_KIND_PROCESS },
	{ "tcp, processes", PT_CHAN_TCP, PT_KIND_PROCESS },
	{ "seqpacket, processes", PT_CHAN_SEQPACKET, PT_KIND_PROCESS },
	{ "mqueue, processes", PT_CHAN_MQUEUE, PT_KIND_PROCESS },
};

/* The cases to run: those of the kinds support/kinds.h runs (the thread
 * cases come first). */
static int cases_end(void)
{
	int n = 0;

	while (n < (int)(sizeof(cases) / sizeof(cases[0])) &&
	       (int)cases[n].kind < pt_test_kinds_end())
		n++;
	return n;
}

/* Case i, named for the test's failure messages. */
static const struct chan_case *chan_case(int i)
{
	pt_test_case(cases[i].name);
	return &cases[i];
}

struct setup {
	enum pt_chan_transport transport;
	enum pt_kind kind;
	pt_chan *chan;
};

static struct setup make(int i, struct pt_chan_opts opts)
{
	const struct chan_case *c = chan_case(i);
	struct setup s = { .transport = c->transport, .kind = c->kind };
	int rc;

	opts.transport = s.transport;
	opts.kind = s.kind;
	rc = pt_chan_create(&opts, &s.chan);
	ck_assert_msg(rc == 0, "create %s: %s",
		      pt_chan_transport_name(s.transport), pt_strerror(rc));
	return s;
}

static struct setup make_default(int i)
{
	return make(i, PT_CHAN_OPTS(.max_msg_bytes = MAX_MSG));
}

/* --- peers ------------------------------------------------------------ */

struct peer {
	pt_chan *chan;
	int count;
	pid_t parent;
	bool close_after;
	int done_fd; /* written once the peer's sends returned */
};

/* Watches the parent when running as a process. */
static void watch_parent(const struct peer *p)
{
	if (getpid() != p->parent)
		pt_chan_watch(p->chan, p->parent);
}

static int peer_send(void *arg)
{
	struct peer *p = arg;
	unsigned char buf[MAX_MSG];
	int rc;

	watch_parent(p);
	for (int k = 0; k < p->count; k++) {
		pt_test_msg_fill(buf, k, pt_test_msg_len(k, MAX_MSG));
		rc = pt_chan_send(p->chan, buf, pt_test_msg_len(k, MAX_MSG),
				  -1);
		if (rc)
			return 100 - rc;
	}
	if (p->close_after && pt_chan_close(p->chan))
		return 99;
	return 0;
}

static int peer_recv(void *arg)
{
	struct peer *p = arg;
	unsigned char buf[MAX_MSG];
	size_t len;
	int rc;

	watch_parent(p);
	for (int k = 0; k < p->count; k++) {
		rc = pt_chan_recv(p->chan, buf, sizeof(buf), &len, -1);
		if (rc)
			return 100 - rc;
		if (!pt_test_msg_matches(buf, k, len, MAX_MSG))
			return 1;
	}
	return 0;
}

static pt_unit *spawn(struct setup *s, pt_unit_fn *fn, struct peer *p)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = s->kind);
	pt_unit *unit = NULL;

	p->chan = s->chan;
	p->parent = getpid();
	PT_ASSERT_OK(pt_unit_spawn(&opts, fn, p, &unit));
	if (s->kind == PT_KIND_PROCESS)
		PT_ASSERT_OK(pt_chan_watch(s->chan, pt_unit_pid(unit)));
	return unit;
}

/* --- conformance ------------------------------------------------------- */

START_TEST(order_and_boundaries_peer_sends)
{
	struct setup s = make_default(_i);
	struct peer p = { .count = NMSG };
	unsigned char buf[MAX_MSG];
	pt_unit *unit;
	size_t len;

	unit = spawn(&s, peer_send, &p);
	for (int k = 0; k < NMSG; k++) {
		PT_ASSERT_OK(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1));
		ck_assert_msg(pt_test_msg_matches(buf, k, len, MAX_MSG),
			      "message %d", k);
	}
	pt_test_join_ok(unit);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(order_and_boundaries_peer_receives)
{
	struct setup s = make_default(_i);
	struct peer p = { .count = NMSG };
	unsigned char buf[MAX_MSG];
	pt_unit *unit;

	unit = spawn(&s, peer_recv, &p);
	for (int k = 0; k < NMSG; k++) {
		pt_test_msg_fill(buf, k, pt_test_msg_len(k, MAX_MSG));
		PT_ASSERT_OK(pt_chan_send(s.chan, buf,
					  pt_test_msg_len(k, MAX_MSG), -1));
	}
	pt_test_join_ok(unit);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(close_drains_then_ends)
{
	struct setup s = make_default(_i);
	struct peer p = { .count = 5, .close_after = true };
	unsigned char buf[MAX_MSG];
	pt_unit *unit;
	size_t len;

	unit = spawn(&s, peer_send, &p);
	pt_test_join_ok(
		unit); /* everything is sent and closed before we read */
	for (int k = 0; k < 5; k++) {
		PT_ASSERT_OK(
			pt_chan_recv(s.chan, buf, sizeof(buf), &len, 1000));
		ck_assert(pt_test_msg_matches(buf, k, len, MAX_MSG));
	}
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1),
		      -ESHUTDOWN);
	PT_ASSERT_ERR(pt_chan_try_recv(s.chan, buf, sizeof(buf), &len),
		      -ESHUTDOWN);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(close_wakes_a_blocked_receiver)
{
	struct setup s = make_default(_i);
	struct peer p = { .count = 0, .close_after = true };
	unsigned char buf[MAX_MSG];
	pt_unit *unit;
	size_t len;

	unit = spawn(&s, peer_send, &p);
	/* blocks until the peer's close, whenever it comes */
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1),
		      -ESHUTDOWN);
	pt_test_join_ok(unit);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(send_after_close_is_refused)
{
	struct setup s = make_default(_i);

	PT_ASSERT_OK(pt_chan_send(s.chan, "x", 1, 0));
	PT_ASSERT_OK(pt_chan_close(s.chan));
	PT_ASSERT_ERR(pt_chan_close(s.chan), -EALREADY);
	PT_ASSERT_ERR(pt_chan_send(s.chan, "y", 1, 0), -ESHUTDOWN);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(empty_and_max_messages)
{
	struct setup s = make_default(_i);
	unsigned char out[MAX_MSG], in[MAX_MSG + 1];
	size_t len = 99;

	memset(out, 0xa5, sizeof(out));
	PT_ASSERT_OK(pt_chan_send(s.chan, NULL, 0, 0));
	PT_ASSERT_OK(pt_chan_send(s.chan, out, MAX_MSG, -1));
	PT_ASSERT_OK(pt_chan_recv(s.chan, in, sizeof(in), &len, -1));
	ck_assert_uint_eq(len, 0);
	PT_ASSERT_OK(pt_chan_recv(s.chan, in, sizeof(in), &len, -1));
	ck_assert_uint_eq(len, MAX_MSG);
	ck_assert_mem_eq(in, out, MAX_MSG);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(oversize_is_refused_and_kept)
{
	struct setup s = make_default(_i);
	unsigned char buf[MAX_MSG + 1] = { 0 };
	size_t len = 0;

	PT_ASSERT_ERR(pt_chan_send(s.chan, buf, MAX_MSG + 1, 0), -EMSGSIZE);
	pt_test_msg_fill(buf, 4, pt_test_msg_len(4, MAX_MSG));
	PT_ASSERT_OK(pt_chan_send(s.chan, buf, pt_test_msg_len(4, MAX_MSG), 0));
	memset(buf, 0, sizeof(buf));
	/* too small a buffer: the message stays, its length is told */
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, pt_test_msg_len(4, MAX_MSG) - 1,
				   &len, -1),
		      -EMSGSIZE);
	ck_assert_uint_eq(len, pt_test_msg_len(4, MAX_MSG));
	PT_ASSERT_OK(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1));
	ck_assert(pt_test_msg_matches(buf, 4, len, MAX_MSG));
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(timeouts_expire)
{
	struct setup s =
		make(_i, PT_CHAN_OPTS(.max_msg_bytes = 64, .capacity = 4));
	unsigned char buf[64] = { 0 };
	uint64_t t0;
	size_t len;
	int rc;
	int sent = 0;

	t0 = pt_test_now_ns();
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), &len, 30),
		      -ETIMEDOUT);
	ck_assert_uint_ge(pt_test_now_ns() - t0, 30000000u);
	/* fill it up: kernel transports hold more than capacity says */
	while ((rc = pt_chan_try_send(s.chan, buf, sizeof(buf))) == 0)
		ck_assert_int_lt(++sent, 1 << 22);
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_int_ge(sent, 1);
	/* TCP over loopback moves queued bytes to the receiving socket in
	 * the background, freeing room now and then: fill again until a
	 * timed send finds none. The others time out on the first try. */
	for (int tries = 0;; tries++) {
		t0 = pt_test_now_ns();
		rc = pt_chan_send(s.chan, buf, sizeof(buf), 30);
		if (rc == -ETIMEDOUT)
			break;
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(s.transport, PT_CHAN_TCP);
		ck_assert_int_lt(tries, 1 << 20);
	}
	ck_assert_uint_ge(pt_test_now_ns() - t0, 30000000u);
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(non_blocking_calls)
{
	struct setup s =
		make(_i, PT_CHAN_OPTS(.max_msg_bytes = 64, .capacity = 4));
	unsigned char buf[64] = { 0 };
	size_t len;
	int sent = 0;

	PT_ASSERT_ERR(pt_chan_try_recv(s.chan, buf, sizeof(buf), &len),
		      -EAGAIN);
	while (pt_chan_try_send(s.chan, buf, sizeof(buf)) == 0)
		ck_assert_int_lt(++sent, 1 << 22);
	PT_ASSERT_ERR(pt_chan_try_send(s.chan, buf, sizeof(buf)), -EAGAIN);
	for (int k = 0; k < sent; k++)
		PT_ASSERT_OK(pt_chan_try_recv(s.chan, buf, sizeof(buf), &len));
	PT_ASSERT_ERR(pt_chan_try_recv(s.chan, buf, sizeof(buf), &len),
		      -EAGAIN);
	PT_ASSERT_OK(pt_chan_try_send(s.chan, buf, sizeof(buf)));
	pt_chan_destroy(s.chan);
}
END_TEST

START_TEST(invalid_arguments_are_refused)
{
	struct setup s = make_default(_i);
	struct pt_chan_opts bad =
		PT_CHAN_OPTS(.transport = cases[_i].transport);
	pt_chan *chan = (pt_chan *)(uintptr_t)1;
	char buf[8];
	size_t len;

	PT_ASSERT_ERR(pt_chan_send(NULL, buf, 1, 0), -EINVAL);
	PT_ASSERT_ERR(pt_chan_send(s.chan, NULL, 1, 0), -EINVAL);
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), NULL, 0), -EINVAL);
	PT_ASSERT_ERR(pt_chan_recv(s.chan, NULL, 1, &len, 0), -EINVAL);
	PT_ASSERT_ERR(pt_chan_watch(s.chan, getpid()), -EINVAL);
	PT_ASSERT_ERR(pt_chan_watch(s.chan, 0), -EINVAL);
	bad.max_msg_bytes = PT_CHAN_MSG_MAX + 1;
	PT_ASSERT_ERR(pt_chan_create(&bad, &chan), -EINVAL);
	bad.max_msg_bytes = 0;
	bad.size = 0;
	PT_ASSERT_ERR(pt_chan_create(&bad, &chan), -EINVAL);
	bad.size = sizeof(bad);
	bad.flags = 0x100;
	PT_ASSERT_ERR(pt_chan_create(&bad, &chan), -EINVAL);
	ck_assert_ptr_eq(chan, (pt_chan *)(uintptr_t)1);
	pt_chan_destroy(s.chan);
	pt_chan_destroy(NULL);
}
END_TEST

/* A peer that dies: the other side's blocked call returns -EPIPE in time,
 * after what the peer finished sending. */
static int send_two_then_hang(void *arg)
{
	struct peer *p = arg;

	watch_parent(p);
	if (pt_chan_send(p->chan, "one", 3, -1) ||
	    pt_chan_send(p->chan, "two", 3, -1))
		return 1;
	if (write(p->done_fd, "d", 1) != 1)
		return 2;
	pause();
	return 0;
}

START_TEST(dead_peer_is_epipe)
{
	struct setup s;
	struct peer p = { .count = 0 };
	struct pt_status st;
	char buf[MAX_MSG];
	pt_unit *unit;
	size_t len;
	uint64_t t0;
	int done[2];

	if (cases[_i].kind != PT_KIND_PROCESS)
		return; /* a thread cannot die alone */
	s = make_default(_i);
	ck_assert_int_eq(pipe(done), 0);
	p.done_fd = done[1];
	unit = spawn(&s, send_two_then_hang, &p);
	ck_assert_int_eq(read(done[0], buf, 1), 1);
	close(done[0]);
	close(done[1]);
	PT_ASSERT_OK(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1));
	ck_assert_mem_eq(buf, "one", 3);
	PT_ASSERT_OK(pt_unit_kill(unit, SIGKILL));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	t0 = pt_test_now_ns();
	/* what it finished is still delivered */
	PT_ASSERT_OK(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1));
	ck_assert_mem_eq(buf, "two", 3);
	PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1), -EPIPE);
	PT_ASSERT_ERR(pt_chan_try_recv(s.chan, buf, sizeof(buf), &len), -EPIPE);
	ck_assert_uint_lt(pt_test_now_ns() - t0, 100000000u);
	pt_unit_destroy(unit);
	pt_chan_destroy(s.chan);
}
END_TEST

static int block_then_get_killed(void *arg)
{
	struct peer *p = arg;

	watch_parent(p);
	if (pt_chan_send(p->chan, "ready", 5, -1))
		return 1;
	pause();
	return 0;
}

START_TEST(blocked_receiver_sees_death_within_100ms)
{
	struct setup s;
	struct peer p = { .count = 0 };
	char buf[MAX_MSG];
	pt_unit *unit;
	size_t len;
	uint64_t t0;

	if (cases[_i].kind != PT_KIND_PROCESS)
		return; /* a thread cannot die alone */
	s = make_default(_i);
	unit = spawn(&s, block_then_get_killed, &p);
	PT_ASSERT_OK(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1));
	/* Kill it from a second process after we are blocked: a forked
	 * killer waits for our recv to be in the kernel (our state S). */
	{
		pid_t me = getpid();
		uint64_t *killed_at = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		pid_t killer;

		ck_assert_ptr_ne(killed_at, MAP_FAILED);
		killer = pt_test_fork();
		if (killer == 0) {
			char path[64], stat[512];
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/stat", me);
			for (;;) {
				f = fopen(path, "re");
				if (f && fgets(stat, sizeof(stat), f) &&
				    strstr(stat, ") S ")) {
					fclose(f);
					break;
				}
				if (f)
					fclose(f);
				usleep(1000);
			}
			*killed_at = pt_test_now_ns();
			kill(pt_unit_pid(unit), SIGKILL);
			_exit(0);
		}
		PT_ASSERT_ERR(pt_chan_recv(s.chan, buf, sizeof(buf), &len, -1),
			      -EPIPE);
		t0 = pt_test_now_ns();
		ck_assert_int_eq(waitpid(killer, NULL, 0), killer);
		ck_assert_uint_gt(*killed_at, 0);
		ck_assert_uint_lt(t0 - *killed_at, 100000000u);
		munmap(killed_at, 4096);
	}
	pt_unit_destroy(unit);
	pt_chan_destroy(s.chan);
}
END_TEST

/* LOCKED is a mutex in this process's memory: between processes it is
 * -ENOTSUP, as chan.h says, and makes no channel. */
START_TEST(locked_between_processes_is_refused)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = PT_CHAN_LOCKED,
			     .kind = PT_KIND_PROCESS, .max_msg_bytes = MAX_MSG);
	pt_chan *chan = NULL;

	PT_ASSERT_ERR(pt_chan_create(&opts, &chan), -ENOTSUP);
	ck_assert_ptr_null(chan);
}
END_TEST

static Suite *chan_suite(void)
{
	return PT_TEST_SUITE(
		"chan",
		{ "conformance",
		  .for_rows = PT_TESTS(
			  order_and_boundaries_peer_sends,
			  order_and_boundaries_peer_receives,
			  close_drains_then_ends,
			  close_wakes_a_blocked_receiver,
			  send_after_close_is_refused, empty_and_max_messages,
			  oversize_is_refused_and_kept, timeouts_expire,
			  non_blocking_calls, invalid_arguments_are_refused,
			  dead_peer_is_epipe,
			  blocked_receiver_sees_death_within_100ms),
		  .rows = cases_end() },
		{ "refusals",
		  .once = PT_TESTS(locked_between_processes_is_refused) });
}

PT_TEST_MAIN(chan_suite)
