/* bench_signal.c - Ctrl-C and SIGTERM during `procthread bench`.
 *
 * A flag checked between samples would not do: a sample may wait for a
 * child, a pool or a peer tool for seconds, and the processes the suites
 * started - process units, their fork-server, peer tools and their
 * children, some in a process group of their own that a terminal's
 * Ctrl-C never reaches - would outlive us. So the handler does the whole
 * job itself, with async-signal-safe calls only: it stops and then kills
 * every descendant of this process (found in /proc by parent id, stopped
 * first so that none can fork behind the scan), removes the temporary
 * output file being written, if any (results/outfile.h), clears the
 * progress line, says in one line what was interrupted, and exits with
 * 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, as a shell
 * reports a command a signal ended.
 *
 * Nothing is written while the benchmark runs (outputs are written at its
 * end), so an interrupted run writes nothing: a partial results file would
 * compare as a complete one. Files already renamed into place when the
 * signal comes during the writing are whole; the others are left as they
 * were. */
#include "cli/bench_signal.h"

#include "bench/engine/engine.h"
#include "results/outfile.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DESCENDANTS 4096

static pid_t main_pid;
static const char *command = "bench";
static bool show_progress;
static volatile sig_atomic_t writing;
static const char *temp_path; /* results/outfile.c's one slot */
static pid_t descendants[MAX_DESCENDANTS];
static size_t n_descendants;

/* --- async-signal-safe helpers ------------------------------------------ */

struct line {
	char buf[256];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_uint(struct line *l, unsigned long v)
{
	char digits[24];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(digits));
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

/* ", case NAME (KIND)" while a case is measured: bench_position.what,
 * at most its what_len bytes, which the engine sets once the text is in. */
static void put_what(struct line *l)
{
	size_t n = (size_t)bench_position.what_len;

	if (!n || n >= sizeof(bench_position.what))
		return;
	put(l, ", case ");
	for (size_t i = 0; i < n && l->len < sizeof(l->buf) - 1; i++)
		l->buf[l->len++] = bench_position.what[i];
}

/* The parent of pid from /proc/PID/stat ("pid (comm) S ppid ..."; comm
 * may hold anything, so the last ')' ends it), or -1. */
static pid_t parent_of(const char *pid_text)
{
	char path[64] = "/proc/", buf[512];
	struct line p = { .len = 0 };
	ssize_t n;
	pid_t ppid = 0;
	char *s;
	int fd;

	put(&p, path);
	put(&p, pid_text);
	put(&p, "/stat");
	p.buf[p.len] = '\0';
	fd = open(p.buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	if (!s || strlen(s) < 5)
		return -1;
	for (s += 4; *s >= '0' && *s <= '9'; s++)
		ppid = ppid * 10 + (*s - '0');
	return ppid;
}

static bool is_descendant(pid_t pid)
{
	if (pid == main_pid)
		return true;
	for (size_t i = 0; i < n_descendants; i++)
		if (descendants[i] == pid)
			return true;
	return false;
}

/* One pass over /proc: stops and notes every process whose parent is this
 * process or one noted. Returns how many it added. */
static size_t stop_children_of_known(void)
{
	char buf[4096];
	size_t added = 0;
	long n;
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	/* getdents64 is a plain system call; readdir() may allocate. */
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			pid_t pid = 0;
			const char *c;

			off += d->d_reclen;
			for (c = d->d_name; *c >= '0' && *c <= '9'; c++)
				pid = pid * 10 + (*c - '0');
			if (*c || !pid || is_descendant(pid) ||
			    n_descendants == MAX_DESCENDANTS)
				continue;
			if (!is_descendant(parent_of(d->d_name)))
				continue;
			kill(pid, SIGSTOP);
			descendants[n_descendants++] = pid;
			added++;
		}
	}
	close(fd);
	return added;
}

static void kill_descendants(void)
{
	/* Orphans of the processes killed come to us, not to init, and
	 * so stay findable. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	for (int pass = 0; pass < 64 && stop_children_of_known(); pass++)
		;
	for (size_t i = 0; i < n_descendants; i++)
		kill(descendants[i], SIGKILL);
}

static void on_signal(int sig)
{
	struct line l = { .len = 0 };
	const char *suite = bench_position.suite;

	if (getpid() != main_pid) {
		/* A child forked from us, with our handlers: it just ends. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	kill_descendants();
	if (temp_path && temp_path[0])
		unlink(temp_path);
	if (show_progress)
		put(&l, "\r\033[K");
	put(&l, "procthread ");
	put(&l, command);
	put(&l, ": interrupted");
	if (writing) {
		put(&l, " while writing the results; a file not yet "
			"written is left as it was");
	} else if (suite) {
		put(&l, " in round ");
		put_uint(&l, (unsigned long)bench_position.round);
		put(&l, "/");
		put_uint(&l, (unsigned long)bench_position.rounds);
		put(&l, " of ");
		put(&l, suite);
		put_what(&l);
		put(&l, "; nothing written");
	} else {
		put(&l, " before the first case; nothing written");
	}
	put(&l, "\n");
	if (write(STDERR_FILENO, l.buf, l.len) < 0)
		_exit(128 + sig);
	_exit(128 + sig);
}

/* --- installing --------------------------------------------------------- */

void cli_bench_signals_install(const char *cmd, bool progress)
{
	struct sigaction sa;

	command = cmd;
	main_pid = getpid();
	show_progress = progress;
	temp_path = outfile_pending();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* One handler at a time: a second Ctrl-C waits for the first. */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_bench_signals_writing(void)
{
	writing = 1;
}

void cli_bench_signals_restore(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}
