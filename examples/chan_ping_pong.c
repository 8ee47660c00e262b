/* chan_ping_pong.c - two processes talking over a channel.
 *
 * The parent asks, a process unit answers: requests go one way on one
 * channel, replies come back on another (a channel is one-way). Both
 * channels are created before the spawn, so the child inherits them; each
 * side watches the other's pid, so a side that dies turns the other's wait
 * into -EPIPE instead of a hang. The parent closes the request channel when
 * it is done, and the child, having drained it, sees -ESHUTDOWN and ends.
 *
 * Build (after `make install`):
 *   cc chan_ping_pong.c $(pkg-config --cflags --libs procthread)
 * Run with a transport name to try another: chan_ping_pong pipe
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime() under -std=c11 */
#include <procthread.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 10000

struct link {
	pt_chan *requests; /* parent -> child */
	pt_chan *replies;  /* child -> parent */
	int parent_pid;
};

struct msg {
	uint64_t seq;
	uint64_t value;
};

/* The child: answers each request with its square until the channel is
 * closed; its exit code says how it ended. */
static int answer(void *arg)
{
	struct link *link = arg;
	uint64_t answered = 0;
	struct msg m;
	size_t len;
	int err;

	err = pt_chan_watch(link->requests, link->parent_pid);
	if (!err)
		err = pt_chan_watch(link->replies, link->parent_pid);
	while (!err) {
		err = pt_chan_recv(link->requests, &m, sizeof(m), &len, -1);
		if (err)
			break;
		if (len != sizeof(m))
			return 3;
		m.value *= m.value;
		err = pt_chan_send(link->replies, &m, sizeof(m), -1);
		answered++;
	}
	pt_unit_set_result(&answered, sizeof(answered));
	/* -ESHUTDOWN: the parent closed the channel, all was received. */
	return err == -ESHUTDOWN ? 0 : 2;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum pt_chan_transport transport_named(const char *name)
{
	for (int t = 0; t < PT_CHAN_TRANSPORT_COUNT; t++)
		if (!strcmp(pt_chan_transport_name(t), name))
			return t;
	return PT_CHAN_TRANSPORT_COUNT;
}

/* The parent's side: ROUNDS requests, each waiting for its reply. */
static int ask(struct link *link, pt_unit *child, uint64_t *wrong)
{
	struct msg m;
	size_t len;
	int err;

	err = pt_chan_watch(link->requests, pt_unit_pid(child));
	if (!err)
		err = pt_chan_watch(link->replies, pt_unit_pid(child));
	for (uint64_t i = 0; !err && i < ROUNDS; i++) {
		m = (struct msg){ .seq = i, .value = i + 1 };
		err = pt_chan_send(link->requests, &m, sizeof(m), -1);
		if (!err)
			err = pt_chan_recv(link->replies, &m, sizeof(m), &len,
					   -1);
		if (!err && (m.seq != i || m.value != (i + 1) * (i + 1)))
			(*wrong)++;
	}
	if (!err)
		err = pt_chan_close(link->requests);
	return err;
}

int main(int argc, char **argv)
{
	enum pt_chan_transport transport = PT_CHAN_SHM;
	struct pt_chan_opts copts;
	struct pt_unit_opts uopts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .name = "answer",
			     .result_capacity = sizeof(uint64_t));
	struct link link = { .parent_pid = (int)getpid() };
	uint64_t wrong = 0, answered = 0, start, elapsed;
	struct pt_status st;
	const void *res;
	pt_unit *child = NULL;
	size_t len;
	int err;

	if (argc > 1) {
		transport = transport_named(argv[1]);
		if (transport == PT_CHAN_TRANSPORT_COUNT) {
			fprintf(stderr, "unknown transport '%s'\n", argv[1]);
			return 2;
		}
	}
	copts = PT_CHAN_OPTS(.transport = transport, .kind = PT_KIND_PROCESS,
			     .max_msg_bytes = sizeof(struct msg));
	err = pt_chan_create(&copts, &link.requests);
	if (!err)
		err = pt_chan_create(&copts, &link.replies);
	if (!err)
		err = pt_unit_spawn(&uopts, answer, &link, &child);
	if (err) {
		fprintf(stderr, "set-up: %s\n", pt_strerror(err));
		goto out;
	}
	start = now_ns();
	err = ask(&link, child, &wrong);
	elapsed = now_ns() - start;
	if (err)
		fprintf(stderr, "parent: %s\n", pt_strerror(err));
	if (!pt_unit_join(child, -1, &st)) {
		res = pt_unit_result(child, &len);
		if (res && len == sizeof(answered))
			memcpy(&answered, res, sizeof(answered));
		printf("over %s: %d round trips, %llu wrong replies, "
		       "%.2f us per round trip\n",
		       pt_chan_transport_name(transport), ROUNDS,
		       (unsigned long long)wrong,
		       (double)elapsed / ROUNDS / 1000);
		printf("child process %d answered %llu and %s with code %d\n",
		       st.pid, (unsigned long long)answered,
		       pt_exit_name(st.how), st.code);
		if (st.how != PT_EXIT_RETURNED || st.code != 0)
			err = -ECHILD;
	}
out:
	pt_unit_destroy(child);
	pt_chan_destroy(link.requests);
	pt_chan_destroy(link.replies);
	return err || wrong ? 1 : 0;
}
