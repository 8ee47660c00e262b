/* client.c - the fork-server as its owner sees it: start, stop, requests.
 *
 * Design. pt_forkserver_start() forks the server S from a program that has
 * one thread, and keeps one end of a SOCK_SEQPACKET socket pair ("ctl").
 * S (server.c) is single-threaded and forks a child C for each request, so
 * no lock can be held in C by a thread that does not exist there.
 *
 * One request, one socket. The requester makes a fresh socket pair per
 * child and sends one end to S along with the request; every later message
 * about that child travels on that private socket, so requests from many
 * threads need no lock and no demultiplexing: each sendmsg() on ctl is one
 * atomic datagram, and each requester reads only its own socket:
 *   S -> P  REPLY  forked (with the child's pidfd over SCM_RIGHTS) or errno
 *   C -> P  SETUP  the child's set-up result (affinity, PDEATHSIG, fds,
 *                  and the requester's own set-up: a unit's sandbox)
 *   S -> P  EXIT   wait4()'s status and rusage, when S reaped the child
 * REPLY and SETUP may arrive in either order; EXIT always comes last, and
 * S closes its end after it, so a dead S shows as end-of-file.
 *
 * Reaping. C is S's child, not ours: we cannot wait4() it, and a pidfd of a
 * non-child can be polled and signalled but not waited on. So S reaps (a
 * signalfd for SIGCHLD, then wait4(-1, WNOHANG) in a loop) and forwards the
 * status and rusage; the requester's status socket becomes readable exactly
 * when that record is there, which is why a fork-server unit's pollable
 * descriptor is that socket rather than the pidfd. Signals go through the
 * pidfd S opened while C was its unreaped child, so they never hit a
 * recycled pid.
 *
 * Memory and descriptors. C is a copy of S, which is a copy of the program
 * at start time: the request carries function pointers of the same image
 * (valid in C), a memfd that C maps whole (the unit's shared block with
 * the argument bytes after it, and a sandbox's description when it has
 * one), and descriptors to install in C at the numbers they have here. C
 * starts with 0, 1, 2 and those, nothing else. The optional set-up
 * function runs in C before its SETUP report, so that its failure (a
 * sandbox that could not be applied) is a set-up error like any other; S
 * itself never reads the memfd.
 *
 * Lifetime. A forked copy of this program does not own the server (the
 * atfork handler closes ctl there). stop() refuses while children of S are
 * not yet released, so it never strands a unit without its status.
 *
 * Death. S ignores the signals sent to its owner's group, and keeps a twin
 * that serves ctl in its place if it dies all the same (server.c). We hold
 * a pidfd of whoever serves now: when it reads as ended, the next call
 * that needs the server asks ctl who serves now (a PING request, answered
 * with the server's pid) and follows the twin; when nobody answers, the
 * server is marked dead: spawns through it fail with -EPIPE, running() is
 * false, and start() may be called again. S is our child, so we reap it
 * when we see it die.
 */
#include "forkserver/forkserver_internal.h"
#include "util/clock.h"
#include "util/fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/pidfd.h"

/* ThreadSanitizer runs a background thread of its own in a forked child
 * (as in every Check test); it holds none of the program's locks. */
#ifdef PT_TSAN
#define PT__RUNTIME_THREADS 1
#else
#define PT__RUNTIME_THREADS 0
#endif

/* ctl and pid change only under the write lock; requests hold the read
 * lock from their check of ctl to their sendmsg and claim, so stop() sees
 * every claim made through the socket it closes. */
static pthread_rwlock_t fs_lock = PTHREAD_RWLOCK_INITIALIZER;
static int fs_ctl = -1;
static pid_t fs_pid;
static int fs_pidfd = -1; /* of fs_pid: readable once it has ended */
static pid_t fs_child;	  /* the server we forked, ours to reap, or 0 */
static bool fs_dead;	  /* it died and no twin took over */
static pid_t fs_owner;
static atomic_long fs_claims;
static pthread_once_t fs_atfork_once = PTHREAD_ONCE_INIT;

/* In any forked copy of the program: the server belongs to its parent.
 * Only close() and stores. The copy has one thread, so whoever held
 * fs_lock at the fork is not there to release it: start() itself holds it
 * across the fork that makes the server, and every child of the server
 * (units, and the process pools they start) inherited it held, so their
 * first spawn waited for ever. It is made anew. */
static void fs_atfork_child(void)
{
	fs_lock = (pthread_rwlock_t)PTHREAD_RWLOCK_INITIALIZER;
	if (fs_ctl >= 0)
		close(fs_ctl);
	if (fs_pidfd >= 0)
		close(fs_pidfd);
	fs_ctl = -1;
	fs_pidfd = -1;
	fs_pid = 0;
	fs_child = 0;
	fs_dead = false;
	fs_owner = 0;
}

static void fs_register_atfork(void)
{
	pthread_atfork(NULL, NULL, fs_atfork_child);
}

static int ping(int ctl);

/* Whether the server we know of has ended (its twin may serve now). By
 * its pidfd; without pidfds (a kernel before 5.3, valgrind 3.19), our
 * child is asked without being reaped, and a twin by its pid. */
static bool server_ended(void)
{
	struct pollfd pfd = { .fd = fs_pidfd, .events = POLLIN };
	siginfo_t si = { .si_pid = 0 };

	if (fs_pidfd >= 0)
		return poll(&pfd, 1, 0) == 1;
	if (fs_pid <= 0)
		return false;
	if (fs_pid == fs_child)
		return waitid(P_PID, (id_t)fs_pid, &si,
			      WEXITED | WNOHANG | WNOWAIT) == 0 &&
		       si.si_pid == fs_pid;
	return kill(fs_pid, 0) < 0 && errno == ESRCH;
}

/* Waits until the server has ended (stop() closed ctl). */
static void await_server_end(void)
{
	struct pollfd pfd = { .fd = fs_pidfd, .events = POLLIN };

	if (fs_pidfd >= 0) {
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		return;
	}
	/* No pidfd to wait on (valgrind, kernels before 5.3): poll its
	 * liveness each millisecond. */
	while (fs_pid != fs_child && !server_ended())
		poll(NULL, 0, 1);
}

/* Reaps pid if it is our child and has ended; nothing otherwise. A pid
 * that is our child cannot have been recycled before we reap it. */
static void reap_if_ours(pid_t pid)
{
	if (pid > 0)
		while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
			;
}

/* Under the write lock, once the server has ended: follows its twin, or
 * marks the server dead and lets ctl go. */
static void follow_twin_locked(void)
{
	int pid;

	reap_if_ours(fs_pid);
	if (fs_pid == fs_child)
		fs_child = 0;
	if (fs_pidfd >= 0)
		close(fs_pidfd);
	fs_pidfd = -1;
	pid = ping(fs_ctl);
	if (pid > 0) {
		/* -ENOSYS: watched by its pid instead (server_ended()). */
		fs_pidfd = pt__pidfd_open(pid);
		if (fs_pidfd >= 0 || fs_pidfd == -ENOSYS) {
			fs_pidfd = fs_pidfd < 0 ? -1 : fs_pidfd;
			fs_pid = pid;
			return;
		}
	}
	close(fs_ctl);
	fs_ctl = -1;
	fs_pid = 0;
	fs_dead = true;
}

/* Takes the read lock, with fs_ctl and fs_pid those of a server that was
 * alive when looked at (the twin, when the one we knew has ended). */
static void rdlock_current(void)
{
	pthread_rwlock_rdlock(&fs_lock);
	if (fs_ctl < 0 || fs_owner != getpid() || !server_ended())
		return;
	pthread_rwlock_unlock(&fs_lock);
	pthread_rwlock_wrlock(&fs_lock);
	if (fs_ctl >= 0 && fs_owner == getpid() && server_ended())
		follow_twin_locked();
	pthread_rwlock_unlock(&fs_lock);
	pthread_rwlock_rdlock(&fs_lock);
}

static int count_threads(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *ent;
	int n = 0;

	if (!dir)
		return -errno;
	while ((ent = readdir(dir)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int pt_forkserver_start(void)
{
	sigset_t all, mask;
	int sv[2];
	int ctl, pidfd;
	pid_t pid;
	pid_t parent = getpid();
	int rc;

	rc = count_threads();
	if (rc < 0)
		return rc;
	if (rc > 1 + PT__RUNTIME_THREADS)
		return -EBUSY;
	pthread_once(&fs_atfork_once, fs_register_atfork);
	pthread_rwlock_wrlock(&fs_lock);
	if (fs_ctl >= 0 && fs_owner == getpid() && server_ended())
		follow_twin_locked();
	rc = fs_ctl >= 0 && fs_owner == getpid() ? -EALREADY : 0;
	/* A server that died is started afresh. */
	if (!rc)
		fs_dead = false;
	/* Not held across the fork: the server, and every unit it forks,
	 * would inherit it held by a thread they do not have, and a process
	 * pool or unit started inside one would wait for ever on its first
	 * spawn. Nothing else takes it meanwhile: this process has one
	 * thread of its own (checked above). */
	pthread_rwlock_unlock(&fs_lock);
	if (rc)
		return rc;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Buffered output would otherwise be copied into every child and
	 * written again by whichever child flushes. */
	fflush(NULL);
	/* Every signal blocked across fork: one sent to the group before
	 * the server has set its dispositions must not kill it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		pt__fs_serve(sv[1], &mask);
	}
	rc = -errno;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	close(sv[1]);
	/* Keep ctl above 2, so a program that closed stdio cannot have it
	 * mistaken for a standard stream by a child. */
	ctl = sv[0];
	if (ctl < 3) {
		ctl = fcntl(sv[0], F_DUPFD_CLOEXEC, 3);
		close(sv[0]);
	}
	pidfd = ctl < 0 ? -1 : pt__pidfd_open(pid);
	if (pidfd == -ENOSYS) {
		pidfd = -1; /* watched as our child instead */
	} else if (pidfd < 0) {
		rc = ctl < 0 ? -errno : pidfd;
		if (ctl >= 0)
			close(ctl);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rc;
	}
	pthread_rwlock_wrlock(&fs_lock);
	fs_pidfd = pidfd;
	fs_ctl = ctl;
	fs_pid = pid;
	fs_child = pid;
	fs_owner = getpid();
	pthread_rwlock_unlock(&fs_lock);
	return 0;
}

int pt_forkserver_stop(void)
{
	int rc = 0;

	pthread_rwlock_wrlock(&fs_lock);
	if (fs_owner != getpid() || (fs_ctl < 0 && !fs_dead)) {
		rc = -ESRCH;
		goto out_unlock;
	}
	if (fs_ctl >= 0 && server_ended())
		follow_twin_locked();
	if (fs_dead) {
		/* Nothing runs to stop: forget it. */
		fs_dead = false;
		goto out_unlock;
	}
	if (atomic_load(&fs_claims) > 0) {
		rc = -EBUSY;
		goto out_unlock;
	}
	/* End-of-file on ctl tells the server (and its twin) to end; it has
	 * no children left. It may be the twin, not our child: wait for its
	 * end on the pidfd, and reap it only if it is ours. */
	close(fs_ctl);
	fs_ctl = -1;
	await_server_end();
	while (fs_pid == fs_child && waitpid(fs_pid, NULL, 0) < 0 &&
	       errno == EINTR)
		;
	reap_if_ours(fs_pid);
	if (fs_pidfd >= 0)
		close(fs_pidfd);
	fs_pidfd = -1;
	fs_pid = 0;
	fs_child = 0;
out_unlock:
	pthread_rwlock_unlock(&fs_lock);
	return rc;
}

bool pt_forkserver_running(void)
{
	bool up;

	rdlock_current();
	up = fs_ctl >= 0 && fs_owner == getpid();
	pthread_rwlock_unlock(&fs_lock);
	return up;
}

bool pt__fs_started(void)
{
	bool started;

	rdlock_current();
	started = (fs_ctl >= 0 || fs_dead) && fs_owner == getpid();
	pthread_rwlock_unlock(&fs_lock);
	return started;
}

int pt_forkserver_pid(void)
{
	int pid;

	rdlock_current();
	pid = fs_ctl >= 0 && fs_owner == getpid() ? fs_pid : -ESRCH;
	pthread_rwlock_unlock(&fs_lock);
	return pid;
}

/* One message from a status socket, with an optional descriptor. Returns
 * 1, 0 at end-of-file, or -errno. A descriptor nobody asked for is closed. */
static int recv_msg(int fd, struct pt__fs_msg *msg, int *passed)
{
	int got[1];
	size_t ngot;
	ssize_t n;

	n = pt__fdpass_recv(fd, msg, sizeof(*msg), got, 1, &ngot, NULL);
	if (n < 0)
		return (int)n;
	if (ngot) {
		if (passed && *passed < 0)
			*passed = got[0];
		else
			close(got[0]);
	}
	if (n == 0)
		return 0;
	if ((size_t)n != sizeof(*msg))
		return -EBADMSG;
	return 1;
}

/* Sends a spawn request, or a PING (req NULL: only the status socket
 * goes, and the server answers with its pid). */
static int send_request(int ctl, const struct pt__fs_spawn *req, int memfd,
			int peer)
{
	static const struct pt__fs_spawn ping_req = { .entry = NULL };
	struct pt__fs_request wire;
	int fds[2 + PT__FS_PASS_MAX];
	size_t nfds;
	ssize_t n;

	if (!req) {
		req = &ping_req;
		fds[0] = peer;
		nfds = 1;
	} else {
		fds[0] = memfd;
		fds[1] = peer;
		nfds = 2 + req->npass_fds;
	}
	wire = (struct pt__fs_request){
		.magic = PT__FS_MAGIC,
		.survive = req->survive,
		.entry = req->entry,
		.setup = req->setup,
		.map_bytes = req->map_bytes,
		.cpu_mask = req->cpu_mask,
		.npass_fds = (uint32_t)req->npass_fds,
		.own_group = req->own_group,
	};
	if (req->name)
		strncpy(wire.name, req->name, sizeof(wire.name) - 1);
	for (size_t i = 0; i < req->npass_fds; i++) {
		wire.targets[i] = req->pass_fds[i];
		fds[2 + i] = req->pass_fds[i];
	}
	n = pt__fdpass_send(ctl, &wire, sizeof(wire), fds, nfds, 0);
	if (n < 0)
		return n == -ECONNREFUSED || n == -ECONNRESET ? -EPIPE : (int)n;
	return 0;
}

/* How long to wait for a PING's answer: a twin takes over within a few
 * scheduler ticks; one that never answers is stopped or hung. */
#define PING_TIMEOUT_MS 5000

/* Asks whoever serves ctl now for its pid. Returns it, or -EPIPE when
 * nobody serves, -ETIMEDOUT, -errno. */
static int ping(int ctl)
{
	struct pollfd pfd = { .events = POLLIN };
	struct pt__fs_msg msg;
	int sv[2];
	int rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	rc = send_request(ctl, NULL, -1, sv[1]);
	close(sv[1]);
	if (rc)
		goto out_close;
	pfd.fd = sv[0];
	do
		rc = poll(&pfd, 1, PING_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0) {
		rc = rc == 0 ? -ETIMEDOUT : -errno;
		goto out_close;
	}
	rc = recv_msg(sv[0], &msg, NULL);
	if (rc == 1)
		rc = msg.type == PT__FS_REPLY && msg.pid > 0 ? msg.pid
							     : -EBADMSG;
	else if (rc == 0)
		rc = -EPIPE;
out_close:
	close(sv[0]);
	return rc;
}

static int check_pass_fds(const struct pt__fs_spawn *req)
{
	if (req->npass_fds > PT__FS_PASS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < req->npass_fds; i++) {
		if (req->pass_fds[i] < 3)
			return -EINVAL;
		if (fcntl(req->pass_fds[i], F_GETFD) < 0)
			return -EBADF;
		for (size_t j = 0; j < i; j++)
			if (req->pass_fds[j] == req->pass_fds[i])
				return -EINVAL;
	}
	return 0;
}

/* Sends the request under the read lock and claims a child slot. Returns
 * 0, -ENOTCONN (no server here) or -errno. */
static int submit(const struct pt__fs_spawn *req, int peer)
{
	int rc;

	rdlock_current();
	if (fs_ctl < 0 || fs_owner != getpid()) {
		rc = fs_dead && fs_owner == getpid() ? -EPIPE : -ENOTCONN;
		goto out_unlock;
	}
	rc = send_request(fs_ctl, req, req->memfd, peer);
	if (rc == 0)
		atomic_fetch_add(&fs_claims, 1);
out_unlock:
	pthread_rwlock_unlock(&fs_lock);
	return rc;
}

/* Reads REPLY and SETUP in whatever order they come. Returns 0 with the
 * child running, or -errno; *reaped says whether the EXIT record was read
 * (the child is then gone and collected). */
static int await_start(struct pt__fs_child *child, bool *reaped)
{
	struct pt__fs_msg msg;
	bool replied = false;
	bool set_up = false;
	int setup_err = 0;
	int rc;

	*reaped = false;
	while (!replied || !set_up) {
		int pidfd = -1;

		rc = recv_msg(child->status_fd, &msg, replied ? NULL : &pidfd);
		if (rc <= 0)
			return rc == 0 ? -EPIPE : rc;
		switch (msg.type) {
		case PT__FS_REPLY:
			if (msg.err) {
				/* No fork: nothing else will come. */
				if (pidfd >= 0)
					close(pidfd);
				*reaped = true;
				return -msg.err;
			}
			child->pid = msg.pid;
			/* Forked, but its pidfd was dropped on the way in:
			 * this process had no descriptor left for it. */
			if (pidfd < 0)
				return msg.pid > 0 ? -EMFILE : -EBADMSG;
			child->pidfd = pidfd;
			replied = true;
			break;
		case PT__FS_SETUP:
			set_up = true;
			setup_err = msg.err;
			break;
		case PT__FS_EXIT:
			*reaped = true;
			return setup_err ? -setup_err : -ECHILD;
		default:
			return -EBADMSG;
		}
	}
	return setup_err ? -setup_err : 0;
}

/* One try. *retry says whether the server died before the child could
 * run any of the caller's code, so that a twin may take the request. */
static int spawn_once(const struct pt__fs_spawn *req, struct pt__fs_child *out,
		      bool *retry)
{
	struct pt__fs_child child = {
		.pid = 0, .pidfd = -1, .status_fd = -1, .lost = false
	};
	bool reaped;
	int sv[2];
	int rc;

	*retry = false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	rc = submit(req, sv[1]);
	close(sv[1]);
	if (rc) {
		/* Nobody reads ctl: the next try follows a twin or finds
		 * the server dead. */
		*retry = rc == -EPIPE;
		close(sv[0]);
		return rc;
	}
	child.status_fd = sv[0];
	rc = await_start(&child, &reaped);
	if (rc) {
		/* End-of-file before the set-up report: the entry never
		 * ran, since the child sends SETUP before it. */
		*retry = rc == -EPIPE;
		/* Whatever started must end and be reaped before we return,
		 * so a failed spawn leaves nothing behind. */
		pt__fs_release(&child, !reaped);
		return rc;
	}
	*out = child;
	return 0;
}

/* Tries a server that died under a request: its twin takes over. */
#define SPAWN_TRIES 3

int pt__fs_spawn(const struct pt__fs_spawn *req, struct pt__fs_child *out)
{
	bool retry = true;
	int rc;

	rc = check_pass_fds(req);
	if (rc)
		return rc;
	for (int i = 0; i < SPAWN_TRIES && retry; i++)
		rc = spawn_once(req, out, &retry);
	return rc;
}

int pt__fs_collect(struct pt__fs_child *child, struct pt__fs_exit *exit)
{
	struct pt__fs_msg msg;
	int rc;

	for (;;) {
		rc = recv_msg(child->status_fd, &msg, NULL);
		if (rc <= 0) {
			child->lost = true;
			return rc < 0 ? rc : -EPIPE;
		}
		if (msg.type == PT__FS_EXIT)
			break;
	}
	*exit = msg.exit;
	exit->wstatus = msg.wstatus;
	return 0;
}

/* Whether the server's word on the child's end waits on fd, unread. */
static bool exit_pending(int fd)
{
	struct pt__fs_msg msg;

	return recv(fd, &msg, sizeof(msg), MSG_PEEK | MSG_DONTWAIT) ==
		       (ssize_t)sizeof(msg) &&
	       msg.type == PT__FS_EXIT;
}

void pt__fs_release(struct pt__fs_child *child, bool stop)
{
	struct pt__fs_exit ignored;

	if (stop && child->pidfd >= 0) {
		pt__pidfd_send_signal(child->pidfd, SIGKILL);
		pt__fs_collect(child, &ignored);
	} else if (stop && child->pid > 0) {
		/* Forked, and no pidfd came: signal the pid. It stays the
		 * child's until the server reaps it, and the server says so
		 * here: with that word not yet in, the pid is the child's
		 * (but for the few system calls between the server's reaping
		 * and its word); without the kill, a child that waits for its
		 * caller would be waited for for ever. */
		if (!exit_pending(child->status_fd))
			kill(child->pid, SIGKILL);
		pt__fs_collect(child, &ignored);
	} else if (stop) {
		/* Not forked, as far as we know: wait for S's word. */
		pt__fs_collect(child, &ignored);
	}
	if (child->pidfd >= 0)
		close(child->pidfd);
	if (child->status_fd >= 0) {
		close(child->status_fd);
		atomic_fetch_sub(&fs_claims, 1);
	}
	child->pidfd = -1;
	child->status_fd = -1;
}
