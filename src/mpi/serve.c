/* serve.c - a rank that serves a PT_KIND_MPI pool: pt_mpi_pool_serve().
 *
 * After the start-up handshake (start.c) the rank loops: it waits for the
 * owner's next message on the pool's communicator (a posted receive,
 * tested with the bounded back-off, so an idle rank costs little CPU and
 * a large message moves while it waits), runs the task the
 * message names with the argument bytes it carries, and sends the result
 * back with the task's return value and how long it ran. The owner sends
 * a few tasks ahead (opts.depth), which wait in MPI's queue meanwhile, so
 * the rank goes from one task to the next without a round trip.
 *
 * A STOP message, which the owner sends once the pool shuts down, comes
 * after every task sent before it (one tag, one sender: MPI keeps the
 * order), so the rank has answered all of them when it answers BYE and
 * returns. If the owner runs on this host the rank watches its pid, and
 * returns -EPIPE when it died (only seen when mpirun lets the job go on,
 * see procthread/mpi.h).
 */
#include "mpi/mpi_internal.h"
#include "util/clock.h"
#include "util/pidfd.h"
#include "util/sized.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct server {
	MPI_Comm comm;
	const struct pt_pool_opts *o;
	struct pt__mpi_config cfg;
	int owner_fd; /* the owner's pidfd; -1 when not on this host */
	struct pt__mpi_task_hdr *in;
	size_t in_cap;
	struct pt__mpi_reply_hdr *out;
	size_t out_cap;
};

static bool owner_gone(const struct server *s)
{
	struct pollfd p = { .fd = s->owner_fd, .events = POLLIN };

	return s->owner_fd >= 0 && poll(&p, 1, 0) > 0;
}

/* Waits for req, polling with the bounded back-off, so that a rank that
 * waits leaves its CPU to others (the owner's engine among them, on a
 * shared host: a blocking MPI call would spin). Returns 0, -EPIPE when
 * the owner died (req is then cancelled if it can be, or left to MPI),
 * -EIO. */
static int wait_req(struct server *s, MPI_Request *req, MPI_Status *st)
{
	struct pt__mpi_backoff b = { .max_sleep_ns = PT__MPI_POOL_SLEEP_NS };
	uint64_t check_ns = 0;
	int flag;

	for (;;) {
		if (MPI_Test(req, &flag, st) != MPI_SUCCESS)
			return -EIO;
		if (flag)
			return 0;
		/* a system call: a few times a second is enough */
		if (pt__now_ns() >= check_ns) {
			if (owner_gone(s)) {
				MPI_Cancel(req);
				MPI_Request_free(req);
				return -EPIPE;
			}
			check_ns = pt__now_ns() + 100000000u;
		}
		pt__mpi_backoff_pause(&b, s->o->spin_ns, 0);
	}
}

/* Waits for the owner's next message and takes it into s->in. Returns its
 * length, -EPIPE, -EBADMSG, -EIO. */
static int next_message(struct server *s)
{
	MPI_Request req;
	MPI_Status st;
	int n, rc;

	/* the owner never sends more than in_cap (its max_arg) */
	if (MPI_Irecv(s->in, (int)s->in_cap, MPI_BYTE, 0, PT__MPI_TAG_TASK,
		      s->comm, &req) != MPI_SUCCESS)
		return -EIO;
	rc = wait_req(s, &req, &st);
	if (rc)
		return rc;
	MPI_Get_count(&st, MPI_BYTE, &n);
	if (n < (int)sizeof(*s->in))
		return -EBADMSG;
	return n;
}

static int reply(struct server *s, uint32_t type, int code, uint64_t run_ns,
		 size_t len)
{
	MPI_Request req;

	s->out->id = s->in->id;
	s->out->type = type;
	s->out->code = code;
	s->out->run_ns = run_ns;
	s->out->len = len;
	if (MPI_Isend(s->out, (int)(sizeof(*s->out) + len), MPI_BYTE, 0,
		      PT__MPI_TAG_REPLY, s->comm, &req) != MPI_SUCCESS)
		return -EIO;
	return wait_req(s, &req, MPI_STATUS_IGNORE);
}

static int run_one(struct server *s, size_t n)
{
	struct pt_task_out out = { .data = s->out + 1,
				   .cap = s->cfg.max_result };
	size_t len = n - sizeof(*s->in);
	uint64_t t0;
	int code;

	/* only a broken owner sends these; the task fails, the rank goes on */
	if (s->in->index >= s->o->n_tasks || s->in->len != len)
		return reply(s, PT__MPI_MSG_RESULT, -EBADMSG, 0, 0);
	t0 = pt__now_ns();
	code = s->o->tasks[s->in->index].fn(s->in + 1, len, &out);
	/* A length beyond the room is the task's error, as in src/pool/,
	 * and so is a result anywhere but the room or the argument. */
	if (out.len > out.cap ||
	    (out.data == (void *)(s->in + 1) && out.len > len))
		return reply(s, PT__MPI_MSG_RESULT, -EMSGSIZE,
			     pt__now_ns() - t0, 0);
	if (out.data == (void *)(s->in + 1))
		memcpy(s->out + 1, s->in + 1, out.len);
	else if (out.data != (void *)(s->out + 1))
		return reply(s, PT__MPI_MSG_RESULT, -EINVAL, pt__now_ns() - t0,
			     0);
	return reply(s, PT__MPI_MSG_RESULT, code, pt__now_ns() - t0, out.len);
}

static int serve_loop(struct server *s)
{
	int n, rc = 0;

	for (;;) {
		n = next_message(s);
		if (n < 0) {
			rc = n;
			break;
		}
		if (s->in->type == PT__MPI_MSG_STOP)
			break;
		rc = run_one(s, (size_t)n);
		if (rc)
			break;
	}
	/* BYE, unless the owner is gone: it has all the answers it gets */
	if (rc != -EPIPE && rc != -EIO) {
		s->in->id = 0;
		if (reply(s, PT__MPI_MSG_BYE, rc, 0, 0) && !rc)
			rc = -EIO;
	}
	return rc;
}

/* Reads *opts into *o as pt_pool_create() does (an older, smaller struct
 * reads as zeros past its size). Returns 0 or -EINVAL. */
static int take_opts(const struct pt_pool_opts *opts, struct pt_pool_opts *o)
{
	if (pt__read_sized(o, sizeof(*o), opts,
			   offsetof(struct pt_pool_opts, name)))
		return -EINVAL;
	return pt__mpi_check_opts(o);
}

int pt_mpi_pool_serve(MPI_Comm comm, const struct pt_pool_opts *opts)
{
	struct pt_pool_opts o;
	struct server s = { .o = &o, .owner_fd = -1 };
	struct pt__mpi_peer *peers = NULL;
	int rank = 0, verdict, rc;

	if (!opts || comm == MPI_COMM_NULL)
		return -EINVAL;
	rc = pt__mpi_ready();
	if (rc)
		return rc;
	/* The pool's creator finds the backend once this program links it. */
	pt__pool_register(PT_KIND_MPI, &pt__mpi_pool_ops);
	verdict = take_opts(opts, &o);
	MPI_Comm_rank(comm, &rank);
	if (rank == 0)
		verdict = -EINVAL; /* rank 0 owns the pool */
	rc = pt__mpi_start(comm, o.tasks, o.n_tasks, verdict, &s.cfg, &s.comm,
			   &peers);
	if (rc)
		return rc;
	if (pt__mpi_same_host(&peers[0]))
		s.owner_fd = pt__pidfd_open(peers[0].pid);
	free(peers);
	s.in_cap = sizeof(*s.in) + s.cfg.max_arg;
	s.out_cap = sizeof(*s.out) + s.cfg.max_result;
	s.in = malloc(s.in_cap);
	s.out = malloc(s.out_cap);
	if (s.in && s.out) {
		rc = serve_loop(&s);
	} else {
		/* leave at once: the owner gives this rank's tasks to others */
		struct pt__mpi_reply_hdr bye = { .type = PT__MPI_MSG_BYE,
						 .code = -ENOMEM };

		MPI_Send(&bye, sizeof(bye), MPI_BYTE, 0, PT__MPI_TAG_REPLY,
			 s.comm);
		rc = -ENOMEM;
	}
	/* after -EPIPE MPI may still hold them: left to the process */
	if (rc != -EPIPE) {
		free(s.in);
		free(s.out);
	}
	if (s.owner_fd >= 0)
		close(s.owner_fd);
	MPI_Comm_free(&s.comm);
	return rc;
}
