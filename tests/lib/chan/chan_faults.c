/* test_chan_faults - every call keeps its timeout, whatever the peer
 * does: a try_send never waits, a recv in a frame a writer stopped or died
 * in keeps its timeout and resumes. The loop index picks a transport. */
#include <procthread.h>

#include "chan/stream.h"
#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const enum pt_chan_transport transports[] = {
	PT_CHAN_SHM,	   PT_CHAN_PIPE,   PT_CHAN_UNIX,   PT_CHAN_TCP,
	PT_CHAN_SEQPACKET, PT_CHAN_MQUEUE, PT_CHAN_LOCKED,
};
#define NT (int)(sizeof(transports) / sizeof(transports[0]))

/* --- faults: every call keeps its timeout -------------------------------- */

#define BIG_MSG 100000

/* Message k of BIG_MSG bytes, told apart from its neighbours everywhere. */
static void big_fill(unsigned char *buf, int k)
{
	for (size_t j = 0; j < BIG_MSG; j++)
		buf[j] = (unsigned char)(k * 31 + (int)(j % 251));
}

static bool big_matches(const unsigned char *buf, int k, size_t len)
{
	if (len != BIG_MSG)
		return false;
	for (size_t j = 0; j < BIG_MSG; j++)
		if (buf[j] != (unsigned char)(k * 31 + (int)(j % 251)))
			return false;
	return true;
}

/* try_send never waits, on any transport, also with messages larger than
 * a kernel buffer's room; what it accepted arrives whole and in order.
 * A timed send into the full channel returns within its timeout. One
 * thread does it all: a try_send that waited would wait for ever (the
 * tcase's timeout makes that a failure). */
START_TEST(try_send_never_waits)
{
	static unsigned char buf[BIG_MSG], rbuf[BIG_MSG];
	enum pt_chan_transport t = transports[_i];
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = t, .kind = PT_KIND_THREAD,
			     .max_msg_bytes = BIG_MSG);
	pt_chan *chan;
	uint64_t t0;
	size_t len;
	int sent = 0;
	int rc, k;

	pt_test_case(pt_chan_transport_name(t));
	rc = pt_chan_create(&o, &chan);
	if (t == PT_CHAN_MQUEUE && rc == -EMSGSIZE)
		return; /* the system's queue limits, as chan.h says */
	ck_assert_int_eq(rc, 0);
	for (;;) {
		big_fill(buf, sent);
		t0 = pt_test_now_ns();
		rc = pt_chan_try_send(chan, buf, BIG_MSG);
		ck_assert_uint_lt(pt_test_now_ns() - t0, 1000000000u);
		if (rc)
			break;
		ck_assert_int_lt(++sent, 1 << 14);
	}
	ck_assert_int_eq(rc, -EAGAIN);
	t0 = pt_test_now_ns();
	rc = pt_chan_send(chan, buf, BIG_MSG, 50);
	ck_assert_uint_lt(pt_test_now_ns() - t0, 1050000000u);
	/* TCP over loopback frees room in the background */
	ck_assert(rc == -ETIMEDOUT || (rc == 0 && t == PT_CHAN_TCP));
	sent += rc == 0;
	/* The last accepted message may still be partly in the sender's
	 * handle: its next call (here the close) sends the rest. */
	for (k = 0; k < sent; k++) {
		rc = pt_chan_try_recv(chan, rbuf, BIG_MSG, &len);
		if (rc == -EAGAIN)
			break;
		ck_assert_int_eq(rc, 0);
		ck_assert_msg(big_matches(rbuf, k, len), "message %d", k);
	}
	ck_assert_int_ge(k, sent - 1);
	PT_ASSERT_OK(pt_chan_close(chan));
	for (; k < sent; k++) {
		PT_ASSERT_OK(pt_chan_recv(chan, rbuf, BIG_MSG, &len, 5000));
		ck_assert_msg(big_matches(rbuf, k, len), "message %d", k);
	}
	PT_ASSERT_ERR(pt_chan_recv(chan, rbuf, BIG_MSG, &len, 5000),
		      -ESHUTDOWN);
	pt_chan_destroy(chan);
}
END_TEST

static const enum pt_chan_transport streams[] = { PT_CHAN_PIPE, PT_CHAN_UNIX,
						  PT_CHAN_TCP };

/* Writes raw bytes into a stream channel, as a hostile or dying peer
 * would: the stream's write end. */
static void put_raw(pt_chan *chan, const void *p, size_t n)
{
	int fd = ((struct pt__stream *)((struct pt_chan *)chan)->impl)->wfd;

	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
}

static unsigned char torn_byte(size_t j)
{
	return (unsigned char)(j * 7 + 3);
}

/* A writer that stops in the middle of a frame and stays alive: recv keeps
 * its timeout (-ETIMEDOUT, or -EAGAIN for 0) and keeps the part it read,
 * and a later recv resumes the frame: nothing torn, nothing lost. */
START_TEST(recv_times_out_in_a_partial_frame_and_resumes)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = streams[_i], .kind = PT_KIND_THREAD,
			     .max_msg_bytes = 4096);
	unsigned char msg[1000], buf[4096];
	uint32_t hdr = sizeof(msg);
	pt_chan *chan;
	uint64_t t0;
	size_t len;

	pt_test_case(pt_chan_transport_name(streams[_i]));
	for (size_t j = 0; j < sizeof(msg); j++)
		msg[j] = torn_byte(j);
	PT_ASSERT_OK(pt_chan_create(&o, &chan));
	put_raw(chan, &hdr, 2);
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, 20),
		      -ETIMEDOUT);
	put_raw(chan, (char *)&hdr + 2, 2);
	put_raw(chan, msg, 10);
	t0 = pt_test_now_ns();
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, 200),
		      -ETIMEDOUT);
	ck_assert_uint_ge(pt_test_now_ns() - t0, 200000000u);
	ck_assert_uint_lt(pt_test_now_ns() - t0, 1200000000u);
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	put_raw(chan, msg + 10, 490);
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, 20),
		      -ETIMEDOUT);
	/* a buffer too short is told so, and the frame stays */
	PT_ASSERT_ERR(pt_chan_try_recv(chan, buf, 999, &len), -EMSGSIZE);
	ck_assert_uint_eq(len, sizeof(msg));
	put_raw(chan, msg + 500, 500);
	PT_ASSERT_OK(pt_chan_send(chan, "next", 4, 1000));
	memset(buf, 0, sizeof(buf));
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000));
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_mem_eq(buf, msg, sizeof(msg));
	PT_ASSERT_OK(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000));
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "next", 4);
	pt_chan_destroy(chan);
}
END_TEST

/* A writer that dies in the middle of a frame: unwatched, it cannot be
 * told from a slow one (the reader holds a write end of its own), so recv
 * keeps its timeout; watched, recv returns -EPIPE at once. */
START_TEST(recv_in_a_frame_torn_by_death_keeps_its_timeout)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = streams[_i], .kind = PT_KIND_PROCESS,
			     .max_msg_bytes = 4096);
	unsigned char buf[4096];
	uint32_t hdr = 1000;
	siginfo_t si;
	pt_chan *chan;
	uint64_t t0;
	size_t len;
	pid_t pid;

	pt_test_case(pt_chan_transport_name(streams[_i]));
	PT_ASSERT_OK(pt_chan_create(&o, &chan));
	pid = pt_test_fork();
	if (pid == 0) {
		int fd = ((struct pt__stream *)((struct pt_chan *)chan)->impl)
				 ->wfd;

		if (write(fd, &hdr, sizeof(hdr)) != sizeof(hdr) ||
		    write(fd, "0123456789", 10) != 10)
			_exit(1);
		_exit(0);
	}
	/* dead, not yet reaped: its pidfd can still be opened */
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	t0 = pt_test_now_ns();
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, 200),
		      -ETIMEDOUT);
	ck_assert_uint_lt(pt_test_now_ns() - t0, 1200000000u);
	PT_ASSERT_OK(pt_chan_watch(chan, pid));
	t0 = pt_test_now_ns();
	PT_ASSERT_ERR(pt_chan_recv(chan, buf, sizeof(buf), &len, -1), -EPIPE);
	ck_assert_uint_lt(pt_test_now_ns() - t0, 100000000u);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	pt_chan_destroy(chan);
}
END_TEST

static Suite *chan_faults_suite(void)
{
	/* A call that waits for ever is a failure, not a hung suite;
	 * pt_chan_watch() needs a pidfd, which valgrind 3.19 does not know. */
	return PT_TEST_SUITE(
		"chan_faults",
		{ "faults", .for_rows = PT_TESTS(try_send_never_waits),
		  .rows = NT, .timeout_s = 30 },
		{ "faults-frames",
		  .for_rows = PT_TESTS(
			  recv_times_out_in_a_partial_frame_and_resumes),
		  .rows = 3, .timeout_s = 30 },
		{ "faults-death",
		  .for_rows = PT_TESTS(
			  recv_in_a_frame_torn_by_death_keeps_its_timeout),
		  .rows = 3, .timeout_s = 30, .tags = "process" });
}

PT_TEST_MAIN(chan_faults_suite)
