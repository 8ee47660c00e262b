/* test_chan_ticket - a channel used by a process that did not inherit
 * it: a unit forked by the fork-server builds its handle from a ticket. */
#include <procthread.h>

#include "support/test.h"
#include "support/ledger.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pair_ticket {
	struct pt_chan_ticket to_child;
	struct pt_chan_ticket to_parent;
};

/* Echoes every message back, upper-cased first byte, until closed. */
static int echo_unit(void *arg)
{
	const struct pair_ticket *t = arg;
	pt_chan *in, *out;
	char buf[64];
	size_t len;
	int rc;

	if (pt_chan_from_ticket(&t->to_child, &in) ||
	    pt_chan_from_ticket(&t->to_parent, &out))
		return 10;
	while ((rc = pt_chan_recv(in, buf, sizeof(buf), &len, -1)) == 0) {
		if (len)
			buf[0] = (char)(buf[0] - 'a' + 'A');
		if (pt_chan_send(out, buf, len, -1))
			return 11;
	}
	pt_chan_destroy(in);
	pt_chan_destroy(out);
	return rc == -ESHUTDOWN ? 0 : 12;
}

START_TEST(server_unit_uses_channels_from_tickets)
{
	struct pt_chan_opts copts = PT_CHAN_OPTS(.max_msg_bytes = 64);
	struct pair_ticket t;
	struct pt_status st;
	pt_chan *down, *up;
	pt_unit *unit;
	int fds[2];
	char buf[64];
	size_t len;

	PT_ASSERT_OK(pt_forkserver_start());
	PT_ASSERT_OK(pt_chan_create(&copts, &down));
	PT_ASSERT_OK(pt_chan_create(&copts, &up));
	PT_ASSERT_OK(pt_chan_make_ticket(down, &t.to_child));
	PT_ASSERT_OK(pt_chan_make_ticket(up, &t.to_parent));
	fds[0] = t.to_child.fd;
	fds[1] = t.to_parent.fd;
	{
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .arg_len = sizeof(t), .pass_fds = fds,
				     .npass_fds = 2,
				     .fork_via = PT_UNIT_FORK_SERVER);

		PT_ASSERT_OK(pt_unit_spawn(&opts, echo_unit, &t, &unit));
	}
	PT_ASSERT_OK(pt_chan_watch(up, pt_unit_pid(unit)));
	for (int i = 0; i < 100; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "message %d", i);
		PT_ASSERT_OK(pt_chan_send(down, msg, strlen(msg) + 1, -1));
		PT_ASSERT_OK(pt_chan_recv(up, buf, sizeof(buf), &len, 5000));
		msg[0] = 'M';
		ck_assert_str_eq(buf, msg);
	}
	PT_ASSERT_OK(pt_chan_close(down));
	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	pt_unit_destroy(unit);
	pt_chan_destroy(down);
	pt_chan_destroy(up);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

START_TEST(bad_tickets_are_refused)
{
	struct pt_chan_opts copts = PT_CHAN_OPTS(.max_msg_bytes = 64);
	struct pt_chan_ticket t, bad;
	struct pt_ledger before, after;
	pt_chan *chan, *copy = NULL;
	int other;

	PT_ASSERT_OK(pt_chan_create(&copts, &chan));
	PT_ASSERT_OK(pt_chan_make_ticket(chan, &t));
	pt_ledger_take(&before);
	bad = t;
	bad.magic ^= 1;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADMSG);
	bad = t;
	bad.capacity *= 2;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADMSG);
	bad = t;
	bad.max_msg_bytes += 8;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADMSG);
	bad = t;
	bad.region_bytes += 4096;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADMSG);
	/* A descriptor that is not a sealed memfd. */
	other = open("/dev/null", O_RDWR | O_CLOEXEC);
	bad = t;
	bad.fd = other;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADMSG);
	close(other);
	bad.fd = 999;
	PT_ASSERT_ERR(pt_chan_from_ticket(&bad, &copy), -EBADF);
	ck_assert_ptr_null(copy);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);

	/* The good one works in this process too, and shares the ring. */
	PT_ASSERT_OK(pt_chan_from_ticket(&t, &copy));
	PT_ASSERT_OK(pt_chan_send(chan, "x", 1, 0));
	{
		char c;
		size_t len;

		PT_ASSERT_OK(pt_chan_recv(copy, &c, 1, &len, 0));
		ck_assert_int_eq(c, 'x');
	}
	pt_chan_destroy(copy);
	pt_chan_destroy(chan);

	copts.kind = PT_KIND_THREAD;
	PT_ASSERT_OK(pt_chan_create(&copts, &chan));
	PT_ASSERT_ERR(pt_chan_make_ticket(chan, &t), -ENOTSUP);
	pt_chan_destroy(chan);
	PT_ASSERT_ERR(pt_chan_make_ticket(NULL, &t), -EINVAL);
	PT_ASSERT_ERR(pt_chan_from_ticket(NULL, &copy), -EINVAL);
}
END_TEST

static Suite *chan_ticket_suite(void)
{
	return PT_TEST_SUITE(
		"chan_ticket",
		{ "tickets",
		  .once = PT_TESTS(server_unit_uses_channels_from_tickets,
				   bad_tickets_are_refused) });
}

PT_TEST_MAIN(chan_ticket_suite)
