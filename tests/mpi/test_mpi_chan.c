/* test_mpi_chan.c - the channel conformance cases over PT_CHAN_MPI, run
 * under mpirun with 2 or 4 ranks (tests/mpi/run.sh): each pair of ranks
 * (0-1, 2-3) runs every case at once, one rank on each end, with a fresh
 * tag per case. The same promises as tests/lib/chan/chan.c checks for the
 * other transports: order and boundaries both ways, close drains then
 * ends (either end closing), oversize refused and kept, timeouts, the
 * non-blocking calls at exactly the capacity, bad arguments; and what is
 * particular to MPI: flow control under a long stream, and a rank that is
 * its own peer. */
#include "mpitest.h"
#include "support/msg_pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_MSG 1000
#define NMSG	2000

static int next_tag = 100;

/* A fresh channel between this rank and its partner (both call it). */
static pt_chan *open_pair(struct pt_chan_opts opts)
{
	pt_chan *chan = NULL;
	int tag = next_tag;

	next_tag += 2;
	MPT_RC(pt_mpi_chan_create(mpt_pair, !mpt_pair_rank, tag, &opts, &chan),
	       0);
	return chan;
}

static pt_chan *open_default(void)
{
	return open_pair(PT_CHAN_OPTS(.max_msg_bytes = MAX_MSG));
}

static void sync_pair(void)
{
	MPI_Barrier(mpt_pair);
}

static void send_n(pt_chan *chan, int n)
{
	unsigned char buf[MAX_MSG];

	for (int k = 0; k < n; k++) {
		pt_test_msg_fill(buf, k, pt_test_msg_len(k, MAX_MSG));
		MPT_RC(pt_chan_send(chan, buf, pt_test_msg_len(k, MAX_MSG), -1),
		       0);
	}
}

static void recv_n(pt_chan *chan, int n, int timeout_ms)
{
	unsigned char buf[MAX_MSG];
	size_t len;

	for (int k = 0; k < n; k++) {
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, timeout_ms),
		       0);
		MPT_CHECK(pt_test_msg_matches(buf, k, len, MAX_MSG),
			  "message %d, %zu bytes", k, len);
	}
}

/* --- the cases ----------------------------------------------------------- */

static void order_and_boundaries(void)
{
	for (int dir = 0; dir < 2; dir++) {
		pt_chan *chan = open_default();

		if (mpt_pair_rank == dir)
			send_n(chan, NMSG);
		else
			recv_n(chan, NMSG, -1);
		sync_pair();
		pt_chan_destroy(chan);
	}
}

static void close_drains_then_ends(void)
{
	pt_chan *chan = open_default();
	unsigned char buf[MAX_MSG];
	size_t len;

	if (mpt_pair_rank == 0) {
		send_n(chan, 5);
		MPT_RC(pt_chan_close(chan), 0);
		MPT_RC(pt_chan_close(chan), -EALREADY);
		MPT_RC(pt_chan_send(chan, "y", 1, 0), -ESHUTDOWN);
		sync_pair(); /* all sent and closed before the other reads */
	} else {
		sync_pair();
		recv_n(chan, 5, 1000);
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, -1),
		       -ESHUTDOWN);
		MPT_RC(pt_chan_try_recv(chan, buf, sizeof(buf), &len),
		       -ESHUTDOWN);
		MPT_RC(pt_chan_close(chan), -EALREADY);
	}
	sync_pair();
	pt_chan_destroy(chan);
}

static void close_wakes_a_blocked_receiver(void)
{
	pt_chan *chan = open_default();
	unsigned char buf[MAX_MSG];
	size_t len;

	if (mpt_pair_rank == 0) {
		/* whenever it comes, the receiver is woken by it */
		usleep(20000);
		MPT_RC(pt_chan_close(chan), 0);
	} else {
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, -1),
		       -ESHUTDOWN);
	}
	sync_pair();
	pt_chan_destroy(chan);
}

static void receiver_close_stops_the_sender(void)
{
	pt_chan *chan = open_pair(
		PT_CHAN_OPTS(.max_msg_bytes = MAX_MSG, .capacity = 4));
	unsigned char buf[MAX_MSG] = { 0 };
	uint64_t t0 = mpt_now_ns();
	int rc;

	if (mpt_pair_rank == 1) {
		MPT_RC(pt_chan_close(chan), 0);
	} else {
		/* refused once the close arrives, full or not */
		while ((rc = pt_chan_send(chan, buf, 8, 100)) != -ESHUTDOWN) {
			MPT_CHECK(rc == 0 || rc == -ETIMEDOUT, "rc %d", rc);
			MPT_CHECK(mpt_now_ns() - t0 < 10000000000u,
				  "close never arrived");
		}
	}
	sync_pair();
	pt_chan_destroy(chan);
}

static void empty_and_max_messages(void)
{
	pt_chan *chan = open_default();
	unsigned char out[MAX_MSG], in[MAX_MSG + 1];
	size_t len = 99;

	memset(out, 0xa5, sizeof(out));
	if (mpt_pair_rank == 0) {
		MPT_RC(pt_chan_send(chan, NULL, 0, 0), 0);
		MPT_RC(pt_chan_send(chan, out, MAX_MSG, -1), 0);
	} else {
		MPT_RC(pt_chan_recv(chan, in, sizeof(in), &len, -1), 0);
		MPT_CHECK(len == 0, "len %zu", len);
		MPT_RC(pt_chan_recv(chan, in, sizeof(in), &len, -1), 0);
		MPT_CHECK(len == MAX_MSG && !memcmp(in, out, MAX_MSG),
			  "len %zu", len);
	}
	sync_pair();
	pt_chan_destroy(chan);
}

static void oversize_is_refused_and_kept(void)
{
	pt_chan *chan = open_default();
	unsigned char buf[MAX_MSG + 1] = { 0 };
	size_t len = 0;

	if (mpt_pair_rank == 0) {
		MPT_RC(pt_chan_send(chan, buf, MAX_MSG + 1, 0), -EMSGSIZE);
		pt_test_msg_fill(buf, 4, pt_test_msg_len(4, MAX_MSG));
		MPT_RC(pt_chan_send(chan, buf, pt_test_msg_len(4, MAX_MSG), 0),
		       0);
	} else {
		MPT_RC(pt_chan_recv(chan, buf, pt_test_msg_len(4, MAX_MSG) - 1,
				    &len, -1),
		       -EMSGSIZE);
		MPT_CHECK(len == pt_test_msg_len(4, MAX_MSG), "len %zu", len);
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, -1), 0);
		MPT_CHECK(pt_test_msg_matches(buf, 4, len, MAX_MSG), "len %zu",
			  len);
	}
	sync_pair();
	pt_chan_destroy(chan);
}

/* Capacity 4: the sender can have exactly 4 messages not yet received;
 * the fifth waits for room and times out, as try_send refuses it. */
static void timeouts_and_capacity(void)
{
	pt_chan *chan =
		open_pair(PT_CHAN_OPTS(.max_msg_bytes = 64, .capacity = 4));
	unsigned char buf[64] = { 0 };
	uint64_t t0;
	size_t len;

	if (mpt_pair_rank == 1) {
		t0 = mpt_now_ns();
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 30),
		       -ETIMEDOUT);
		MPT_CHECK(mpt_now_ns() - t0 >= 30000000u, "too soon");
		MPT_RC(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
		sync_pair(); /* the sender may fill the channel */
		sync_pair(); /* it did */
		for (int k = 0; k < 4; k++)
			MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000),
			       0);
		MPT_RC(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
		sync_pair(); /* all four taken: room again */
		for (int k = 0; k < 4; k++)
			MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000),
			       0);
	} else {
		sync_pair();
		for (int k = 0; k < 4; k++)
			MPT_RC(pt_chan_try_send(chan, buf, sizeof(buf)), 0);
		MPT_RC(pt_chan_try_send(chan, buf, sizeof(buf)), -EAGAIN);
		t0 = mpt_now_ns();
		MPT_RC(pt_chan_send(chan, buf, sizeof(buf), 30), -ETIMEDOUT);
		MPT_CHECK(mpt_now_ns() - t0 >= 30000000u, "too soon");
		sync_pair();
		sync_pair();
		for (int k = 0; k < 4; k++)
			MPT_RC(pt_chan_send(chan, buf, sizeof(buf), 1000), 0);
	}
	sync_pair();
	pt_chan_destroy(chan);
}

/* Many small messages through a small window: credits keep it moving,
 * nothing is lost or reordered. */
static void long_stream_through_a_small_window(void)
{
	pt_chan *chan =
		open_pair(PT_CHAN_OPTS(.max_msg_bytes = 8, .capacity = 3));
	uint64_t v;
	size_t len;

	for (uint64_t k = 0; k < 20000; k++) {
		if (mpt_pair_rank == 0) {
			MPT_RC(pt_chan_send(chan, &k, sizeof(k), 10000), 0);
		} else {
			MPT_RC(pt_chan_recv(chan, &v, sizeof(v), &len, 10000),
			       0);
			MPT_CHECK(len == sizeof(v) && v == k, "%llu at %llu",
				  (unsigned long long)v, (unsigned long long)k);
		}
	}
	sync_pair();
	pt_chan_destroy(chan);
}

/* Messages larger than Open MPI's eager limit go by rendezvous. */
static void large_messages(void)
{
	const size_t big = 1u << 20;
	pt_chan *chan =
		open_pair(PT_CHAN_OPTS(.max_msg_bytes = big, .capacity = 2));
	unsigned char *buf = malloc(big);
	size_t len;

	MPT_CHECK(buf != NULL, "malloc");
	for (int k = 0; k < 8; k++) {
		size_t n = big - (size_t)k * 1000;

		if (mpt_pair_rank == 0) {
			memset(buf, k + 1, n);
			MPT_RC(pt_chan_send(chan, buf, n, 10000), 0);
		} else {
			MPT_RC(pt_chan_recv(chan, buf, big, &len, 10000), 0);
			MPT_CHECK(len == n && buf[0] == k + 1 &&
					  buf[n - 1] == k + 1,
				  "message %d: %zu bytes", k, len);
		}
	}
	sync_pair();
	free(buf);
	pt_chan_destroy(chan);
}

static void own_rank_as_peer(void)
{
	pt_chan *chan = NULL;
	char buf[16];
	size_t len;

	MPT_RC(pt_mpi_chan_create(
		       MPI_COMM_SELF, 0, 7,
		       &PT_CHAN_OPTS(.max_msg_bytes = 16, .capacity = 2),
		       &chan),
	       0);
	MPT_RC(pt_chan_try_recv(chan, buf, sizeof(buf), &len), -EAGAIN);
	for (int round = 0; round < 3; round++) {
		MPT_RC(pt_chan_try_send(chan, "one", 3), 0);
		MPT_RC(pt_chan_try_send(chan, "two", 3), 0);
		MPT_RC(pt_chan_try_send(chan, "three", 5), -EAGAIN);
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000), 0);
		MPT_CHECK(len == 3 && !memcmp(buf, "one", 3), "one");
		MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000), 0);
		MPT_CHECK(len == 3 && !memcmp(buf, "two", 3), "two");
	}
	MPT_RC(pt_chan_send(chan, "last", 4, 0), 0);
	MPT_RC(pt_chan_close(chan), 0);
	MPT_RC(pt_chan_close(chan), -EALREADY);
	MPT_RC(pt_chan_send(chan, "late", 4, 0), -ESHUTDOWN);
	MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, 1000), 0);
	MPT_CHECK(len == 4 && !memcmp(buf, "last", 4), "last");
	MPT_RC(pt_chan_recv(chan, buf, sizeof(buf), &len, -1), -ESHUTDOWN);
	pt_chan_destroy(chan);
}

static void invalid_arguments_are_refused(void)
{
	struct pt_chan_opts opts = PT_CHAN_OPTS(.max_msg_bytes = 64);
	struct pt_chan_opts got;
	struct pt_chan_msg msg;
	struct pt_chan_ticket ticket;
	pt_chan *chan = (pt_chan *)(uintptr_t)1, *ok = NULL;
	int *tag_ub = NULL, flag = 0;

	MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
	MPT_CHECK(flag && tag_ub, "MPI_TAG_UB");
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, NULL, &chan), -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, &opts, NULL), -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_NULL, 0, 1, &opts, &chan), -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, -1, 1, &opts, &chan),
	       -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, mpt_size, 1, &opts, &chan),
	       -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, -1, &opts, &chan),
	       -EINVAL);
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, *tag_ub, &opts, &chan),
	       -EINVAL);
	opts.flags = PT_CHAN_MPMC;
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, &opts, &chan),
	       -ENOTSUP);
	opts.flags = 0x100;
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, &opts, &chan), -EINVAL);
	opts.flags = 0;
	opts.max_msg_bytes = PT_CHAN_MSG_MAX + 1;
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, &opts, &chan), -EINVAL);
	opts.max_msg_bytes = 64;
	opts.size = 0;
	MPT_RC(pt_mpi_chan_create(MPI_COMM_WORLD, 0, 1, &opts, &chan), -EINVAL);
	MPT_CHECK(chan == (pt_chan *)(uintptr_t)1, "*out was written");
	/* only pt_mpi_chan_create() makes one */
	opts = PT_CHAN_OPTS(.transport = PT_CHAN_MPI);
	MPT_RC(pt_chan_create(&opts, &chan), -ENOTSUP);
	MPT_CHECK(!strcmp(pt_chan_transport_name(PT_CHAN_MPI), "mpi"), "name");

	MPT_RC(pt_mpi_chan_create(MPI_COMM_SELF, 0, *tag_ub - 1,
				  &PT_CHAN_OPTS(.max_msg_bytes = 64), &ok),
	       0);
	MPT_RC(pt_chan_get_opts(ok, &got), 0);
	MPT_CHECK(got.transport == PT_CHAN_MPI && got.capacity == 64 &&
			  got.max_msg_bytes == 64,
		  "opts %d %u %zu", got.transport, got.capacity,
		  got.max_msg_bytes);
	MPT_RC(pt_chan_reserve(ok, 8, &msg, 0), -ENOTSUP);
	MPT_RC(pt_chan_peek(ok, &msg, 0), -ENOTSUP);
	MPT_RC(pt_chan_make_ticket(ok, &ticket), -ENOTSUP);
	MPT_RC(pt_chan_send(ok, NULL, 1, 0), -EINVAL);
	MPT_RC(pt_chan_watch(ok, getpid()), -EINVAL);
	pt_chan_destroy(ok);
	pt_chan_destroy(NULL);
}

int main(int argc, char **argv)
{
	mpt_init(&argc, &argv);
	mpt_run("invalid arguments are refused", invalid_arguments_are_refused);
	mpt_run("a rank is its own peer", own_rank_as_peer);
	mpt_run_pair("order and boundaries, both ways", order_and_boundaries);
	mpt_run_pair("close drains, then ends", close_drains_then_ends);
	mpt_run_pair("close wakes a blocked receiver",
		     close_wakes_a_blocked_receiver);
	mpt_run_pair("a receiver's close stops the sender",
		     receiver_close_stops_the_sender);
	mpt_run_pair("empty and largest messages", empty_and_max_messages);
	mpt_run_pair("oversize is refused and kept",
		     oversize_is_refused_and_kept);
	mpt_run_pair("timeouts and the capacity", timeouts_and_capacity);
	mpt_run_pair("a long stream through a small window",
		     long_stream_through_a_small_window);
	mpt_run_pair("large (rendezvous) messages", large_messages);
	return mpt_finish();
}
