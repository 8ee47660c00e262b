/* server.c - the fork-server process: forks children on request, reaps
 * them, and reports each end to whoever asked (see client.c for the
 * protocol).
 *
 * The server has one thread and never starts another, so its children may
 * call anything (malloc, stdio, pthread_create under TSan) from their first
 * instruction. It never blocks on a requester: every send is non-blocking,
 * and a requester that went away only makes a send fail.
 *
 * Signals meant for the owner. The server sits in its owner's process
 * group, so a Ctrl-C or a `kill -- -PGID` reaches it too, even when the
 * owner handles that signal to shut down in order. It ignores every signal
 * whose default would end or stop it (all but SIGKILL, SIGSTOP and the
 * synchronous faults); each child gets the program's own dispositions back
 * before it runs anything.
 *
 * A standby twin. A server that dies all the same (kill -9) could not be
 * started again once the owner has threads: a fresh fork would copy their
 * locks. So the server keeps a twin, forked from it while it is still a
 * clean single-threaded copy, asleep on a pipe only the server writes to.
 * When the server dies the pipe reads end-of-file and the twin serves the
 * same request socket in its place (and forks a twin of its own); when the
 * owner is gone the socket hangs up and the twin just leaves. Children of
 * the dead server die with it (PR_SET_PDEATHSIG), and their requesters see
 * end-of-file on their status sockets, as before.
 */
#include "forkserver/forkserver_internal.h"
#include "util/child.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/fdpass.h"
#include "util/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* One child that has not been reaped yet. */
struct child_entry {
	pid_t pid;
	int status_fd; /* the server's end of the requester's socket */
	int survive;
	int own_group; /* leads a group: killed before the child is reaped */
};

struct server {
	int ctl;
	int sigfd;
	sigset_t child_mask; /* the mask children get back */
	/* The program's dispositions of the signals the server ignores (and
	 * of SIGCHLD), which children get back; saved[sig] is valid where
	 * bit sig of changed is set. */
	struct sigaction saved[NSIG];
	uint64_t changed[(NSIG + 63) / 64];
	struct child_entry *children;
	size_t nchildren;
	size_t capacity;
	pid_t standby;	/* the twin that takes over if we die, or 0 */
	int standby_fd; /* the write end of the pipe it sleeps on */
};

/* The descriptor the twin sleeps on, beside ctl (3). */
#define STANDBY_FD 4

static void send_msg(int fd, const struct pt__fs_msg *msg, int pass_fd)
{
	/* A requester that went away is not an error of the server's. */
	(void)pt__fdpass_send(fd, msg, sizeof(*msg), &pass_fd,
			      pass_fd >= 0 ? 1 : 0, MSG_DONTWAIT);
}

static void fail_request(int status_fd, int err)
{
	struct pt__fs_msg msg = { .type = PT__FS_REPLY, .err = err };

	send_msg(status_fd, &msg, -1);
}

/* --- in the child ------------------------------------------------------ */

/* Moves the descriptors the child keeps (memfd, status socket, passed ones)
 * above every number in play, closes all else - the server's own sockets
 * and every other child's - then installs the passed ones at their target
 * numbers. keep[0] and keep[1] are the memfd and the status socket; they
 * come back in keep[0..1] at their new numbers. */
static int arrange_fds(int *keep, size_t nkeep, const int32_t *targets)
{
	int base = 3;
	int moved[2 + PT__FS_PASS_MAX] = { 0 };

	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i] >= base)
			base = keep[i] + 1;
		if (i >= 2 && targets[i - 2] >= base)
			base = targets[i - 2] + 1;
	}
	for (size_t i = 0; i < nkeep; i++) {
		moved[i] = fcntl(keep[i], F_DUPFD, base);
		if (moved[i] < 0)
			return errno;
	}
	(void)pt__close_all_but(moved, nkeep);
	/* The originals are closed: from here a failure must still find
	 * the status socket to report on. */
	keep[0] = moved[0];
	keep[1] = moved[1];
	for (size_t i = 2; i < nkeep; i++) {
		if (dup2(moved[i], targets[i - 2]) < 0)
			return errno;
		close(moved[i]);
	}
	return 0;
}

static _Noreturn void child_main(struct server *srv,
				 const struct pt__fs_request *req, int *fds,
				 size_t nfds)
{
	struct pt__fs_msg msg = { .type = PT__FS_SETUP };
	void *map = MAP_FAILED;
	int status_fd;
	int err;

	/* Back to the signal state the program had when it started S. */
	for (int sig = 1; sig < NSIG; sig++)
		if (srv->changed[sig / 64] & ((uint64_t)1 << (sig % 64)))
			sigaction(sig, &srv->saved[sig], NULL);
	pthread_sigmask(SIG_SETMASK, &srv->child_mask, NULL);

	err = pt__child_setup(req->survive, req->own_group, getppid(),
			      req->cpu_mask, req->name);
	if (!err && req->map_bytes) {
		map = mmap(NULL, req->map_bytes, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fds[0], 0);
		if (map == MAP_FAILED)
			err = errno;
	}
	if (!err)
		err = arrange_fds(fds, nfds, req->targets);
	status_fd = fds[1];
	/* Mapped now: the memfd is not the unit's to keep. */
	close(fds[0]);
	if (!err && req->setup)
		err = req->setup(map, req->map_bytes, status_fd);
	msg.err = err;
	if (req->setup) {
		/* The set-up may have installed a seccomp filter, whose
		 * allow-list has write but not sendto: on this socket a
		 * write() is the same one record. */
		while (write(status_fd, &msg, sizeof(msg)) < 0 &&
		       errno == EINTR)
			;
	} else {
		while (send(status_fd, &msg, sizeof(msg), MSG_NOSIGNAL) < 0 &&
		       errno == EINTR)
			;
	}
	if (err)
		_exit(127);
	close(status_fd);
	_exit(req->entry(map, req->map_bytes) & 0xff);
}

/* --- in the server ----------------------------------------------------- */

static int table_add(struct server *srv, pid_t pid, int status_fd,
		     const struct pt__fs_request *req)
{
	if (srv->nchildren == srv->capacity) {
		size_t cap = srv->capacity ? srv->capacity * 2 : 64;
		void *grown =
			realloc(srv->children, cap * sizeof(*srv->children));

		if (!grown)
			return -ENOMEM;
		srv->children = grown;
		srv->capacity = cap;
	}
	srv->children[srv->nchildren++] = (struct child_entry){
		.pid = pid,
		.status_fd = status_fd,
		.survive = req->survive,
		.own_group = req->own_group,
	};
	return 0;
}

/* Receives one request. Returns 1, 0 at end-of-file, -1 to skip. */
static int recv_request(int ctl, struct pt__fs_request *req, int *fds,
			size_t *nfds)
{
	ssize_t n;

	n = pt__fdpass_recv(ctl, req, sizeof(*req), fds, 2 + PT__FS_PASS_MAX,
			    nfds, NULL);
	if (n == 0) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		return 0;
	}
	if (n < 0)
		return n == -EAGAIN ? -1 : 0;
	if ((size_t)n != sizeof(*req) || req->magic != PT__FS_MAGIC ||
	    req->npass_fds > PT__FS_PASS_MAX ||
	    *nfds != (req->entry ? 2 + (size_t)req->npass_fds : 1)) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		return -1;
	}
	req->name[sizeof(req->name) - 1] = 0;
	return 1;
}

static void handle_request(struct server *srv)
{
	struct pt__fs_request req;
	struct pt__fs_msg reply = { .type = PT__FS_REPLY };
	int fds[2 + PT__FS_PASS_MAX];
	size_t nfds;
	int pidfd;
	pid_t pid;
	int rc;

	rc = recv_request(srv->ctl, &req, fds, &nfds);
	if (rc == 0) {
		srv->ctl = -1; /* the owner is gone or stopped us */
		return;
	}
	if (rc < 0)
		return;
	if (!req.entry) {
		/* PING: who serves now (the twin, after a death). */
		reply.pid = getpid();
		send_msg(fds[0], &reply, -1);
		close(fds[0]);
		return;
	}
	pid = fork();
	if (pid == 0)
		child_main(srv, &req, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		if (i != 1)
			close(fds[i]);
	if (pid < 0) {
		fail_request(fds[1], errno);
		close(fds[1]);
		return;
	}
	/* Our own unreaped child: its pid cannot be recycled yet. */
	pidfd = pt__pidfd_open(pid);
	rc = pidfd < 0 ? pidfd : table_add(srv, pid, fds[1], &req);
	if (rc) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		fail_request(fds[1], -rc);
		close(fds[1]);
		if (pidfd >= 0)
			close(pidfd);
		return;
	}
	reply.pid = pid;
	send_msg(fds[1], &reply, pidfd);
	close(pidfd);
}

static void report_exit(struct server *srv, pid_t pid, int wstatus,
			const struct rusage *ru)
{
	struct pt__fs_msg msg = { .type = PT__FS_EXIT, .pid = pid };

	msg.wstatus = wstatus;
	msg.exit.end_ns = pt__now_ns();
	msg.exit.user_ns =
		pt__timeval_ns(ru->ru_utime.tv_sec, ru->ru_utime.tv_usec);
	msg.exit.system_ns =
		pt__timeval_ns(ru->ru_stime.tv_sec, ru->ru_stime.tv_usec);
	msg.exit.maxrss_bytes = (uint64_t)ru->ru_maxrss * 1024;
	msg.exit.voluntary_switches = (uint64_t)ru->ru_nvcsw;
	msg.exit.involuntary_switches = (uint64_t)ru->ru_nivcsw;
	for (size_t i = 0; i < srv->nchildren; i++) {
		if (srv->children[i].pid != pid)
			continue;
		send_msg(srv->children[i].status_fd, &msg, -1);
		close(srv->children[i].status_fd);
		srv->children[i] = srv->children[--srv->nchildren];
		return;
	}
}

static const struct child_entry *table_find(const struct server *srv, pid_t pid)
{
	for (size_t i = 0; i < srv->nchildren; i++)
		if (srv->children[i].pid == pid)
			return &srv->children[i];
	return NULL;
}

/* Waits for (flags: WNOHANG, or 0) and reaps one child. A child that leads
 * its own group has what is left in the group killed first, while its
 * zombie still holds the group's number. Returns its pid, 0 or -1. */
static pid_t reap_one(struct server *srv, int flags, int *wstatus,
		      struct rusage *ru)
{
	const struct child_entry *c;
	siginfo_t si;

	si.si_pid = 0;
	if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | flags) < 0)
		return -1;
	if (si.si_pid == 0)
		return 0;
	c = table_find(srv, si.si_pid);
	if (c && c->own_group)
		pt__child_end_group(si.si_pid);
	return wait4(si.si_pid, wstatus, 0, ru);
}

static void reap(struct server *srv, int flags)
{
	struct rusage ru;
	int wstatus;
	pid_t pid;

	for (;;) {
		pid = reap_one(srv, flags, &wstatus, &ru);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		if (pid == srv->standby) {
			/* Someone killed the twin: the loop forks another. */
			srv->standby = 0;
			close(srv->standby_fd);
			srv->standby_fd = -1;
			continue;
		}
		report_exit(srv, pid, wstatus, &ru);
	}
}

static void drain_signalfd(int sigfd)
{
	struct signalfd_siginfo si[8];

	while (read(sigfd, si, sizeof(si)) > 0)
		;
}

/* The owner closed ctl: kill the children that die with their parent,
 * reap them, and leave; those asked to survive are left to init. */
static _Noreturn void shut_down(struct server *srv)
{
	size_t dying = 0;

	if (srv->standby) {
		kill(srv->standby, SIGKILL);
		dying++;
	}
	for (size_t i = 0; i < srv->nchildren; i++) {
		if (srv->children[i].survive)
			continue;
		kill(srv->children[i].pid, SIGKILL);
		dying++;
	}
	while (dying > 0) {
		struct rusage ru;
		int wstatus;
		pid_t pid = reap_one(srv, 0, &wstatus, &ru);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		report_exit(srv, pid, wstatus, &ru);
		dying--;
	}
	_exit(0);
}

/* Whether the server ignores sig: what a group signal could end or stop it
 * with. Not SIGKILL and SIGSTOP (it cannot), not SIGCHLD and SIGCONT (they
 * do no harm), not the faults the kernel raises on the server's own errors
 * (ignoring those would loop on the faulting instruction). */
static bool ignored_signal(int sig)
{
	switch (sig) {
	case SIGKILL:
	case SIGSTOP:
	case SIGCHLD:
	case SIGCONT:
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
	case SIGSYS:
	case SIGABRT:
		return false;
	default:
		return true;
	}
}

static void save_and_ignore_signals(struct server *srv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (int sig = 1; sig < NSIG; sig++) {
		/* The C library keeps some real-time signals for itself and
		 * refuses them here: leave those alone. */
		if (sig == SIGCHLD) {
			sigaction(SIGCHLD, NULL, &srv->saved[sig]);
			/* SIG_IGN would reap children before we could
			 * report them. */
			sigaction(SIGCHLD, &dfl, NULL);
		} else if (!ignored_signal(sig) ||
			   sigaction(sig, &ign, &srv->saved[sig]) < 0) {
			continue;
		}
		srv->changed[sig / 64] |= (uint64_t)1 << (sig % 64);
	}
}

static _Noreturn void serve(struct server *srv);

/* The twin: asleep until the server dies (end-of-file on STANDBY_FD), then
 * the server; or gone when the owner is (ctl hangs up). */
static _Noreturn void standby_main(struct server *srv, int wake_fd)
{
	if (wake_fd != STANDBY_FD) {
		if (dup2(wake_fd, STANDBY_FD) < 0)
			_exit(127);
	}
	(void)pt__close_all_but((const int[]){ 3, STANDBY_FD }, 2);
	free(srv->children);
	srv->children = NULL;
	srv->nchildren = srv->capacity = 0;
	srv->sigfd = -1;
	srv->standby = 0;
	srv->standby_fd = -1;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STANDBY_FD, .events = POLLIN },
			{ .fd = srv->ctl, .events = 0 },
		};

		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			_exit(0);
		if (pfd[0].revents)
			break;
	}
	close(STANDBY_FD);
	prctl(PR_SET_NAME, "pt-forkserver");
	serve(srv);
}

/* Forks the twin, if there is none. A failure (out of processes) is tried
 * again at the next turn of the loop. */
static void start_standby(struct server *srv)
{
	int wake[2];
	pid_t pid;

	if (srv->standby || pipe2(wake, O_CLOEXEC) < 0)
		return;
	/* Named before the fork, so that it never shows as a server. */
	prctl(PR_SET_NAME, "pt-fs-standby");
	pid = fork();
	if (pid != 0)
		prctl(PR_SET_NAME, "pt-forkserver");
	if (pid < 0) {
		close(wake[0]);
		close(wake[1]);
		return;
	}
	if (pid == 0) {
		close(wake[1]);
		standby_main(srv, wake[0]);
	}
	close(wake[0]);
	srv->standby = pid;
	srv->standby_fd = wake[1];
}

static _Noreturn void serve(struct server *srv)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	srv->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (srv->sigfd < 0)
		_exit(127);
	while (srv->ctl >= 0) {
		struct pollfd pfd[2] = {
			{ .fd = srv->ctl, .events = POLLIN },
			{ .fd = srv->sigfd, .events = POLLIN },
		};

		start_standby(srv);
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents) {
			drain_signalfd(srv->sigfd);
			reap(srv, WNOHANG);
		}
		if (pfd[0].revents)
			handle_request(srv);
	}
	shut_down(srv);
}

_Noreturn void pt__fs_serve(int ctl, const sigset_t *mask)
{
	static struct server srv;
	sigset_t chld;

	srv = (struct server){ .ctl = ctl, .sigfd = -1, .standby_fd = -1 };
	prctl(PR_SET_NAME, "pt-forkserver");
	/* The owner's descriptors stay with the owner: a pipe it holds must
	 * see end-of-file when it closes its end, not when we exit. */
	if (ctl != 3) {
		if (dup2(ctl, 3) < 0)
			_exit(127);
		close(ctl);
		srv.ctl = 3;
	}
	(void)pt__close_all_but((const int[]){ 3 }, 1);

	/* Everything is blocked until the dispositions are set (client.c);
	 * then the owner's mask, plus SIGCHLD for the signalfd. */
	srv.child_mask = *mask;
	save_and_ignore_signals(&srv);
	chld = *mask;
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_SETMASK, &chld, NULL);
	serve(&srv);
}
