/* peer.c - running a peer tool and reading numbers from what it prints.
 *
 * The tool gets its own process group so that a timeout kills its workers
 * too (hackbench and stress-ng fork many), and its output comes back over
 * one CLOEXEC pipe shared by stdout and stderr. posix_spawnp keeps this
 * free of code between fork and exec.
 */
#include "bench/peers/peers.h"

#include <procthread/error.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUTPUT_MAX ((size_t)256 << 10)

bool peer_found(const char *tool)
{
	/* The engine runs on one thread; nothing sets the environment. */
	const char *path = getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		if (len && len + strlen(tool) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path,
				 tool);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Reads fd into *buf until end-of-file or the deadline. Returns 0 or
 * -ETIMEDOUT. */
static int collect(int fd, char *buf, size_t cap, size_t *len,
		   uint64_t deadline_ns)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = bench_now_ns();
		char scratch[4096];
		ssize_t n;
		int rc;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)((deadline_ns - now) / 1000000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		n = read(fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		/* Past the cap, keep draining so the tool never blocks. */
		if (*len + (size_t)n < cap) {
			memcpy(buf + *len, scratch, (size_t)n);
			*len += (size_t)n;
		}
	}
}

static uint64_t timeval_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000u +
	       (uint64_t)tv->tv_usec * 1000u;
}

int peer_run(char *const argv[], int timeout_ms, char **out, uint64_t *cpu_ns)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *buf = malloc(OUTPUT_MAX);
	struct rusage ru = { 0 };
	size_t len = 0;
	int fds[2], status, rc;
	pid_t pid;

	/* posix_spawnp reports a missing program, except where it is built
	 * on fork (valgrind): look first, so both say -ENOENT. */
	if (!strchr(argv[0], '/') && !peer_found(argv[0])) {
		free(buf);
		return -ENOENT;
	}
	if (!buf)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = -posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		free(buf);
		return rc;
	}
	rc = collect(fds[0], buf, OUTPUT_MAX, &len,
		     bench_now_ns() + (uint64_t)timeout_ms * 1000000u);
	close(fds[0]);
	if (rc)
		kill(-pid, SIGKILL);
	/* wait4's usage covers the tool and every descendant it reaped. */
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = -ECHILD;
	if (cpu_ns)
		*cpu_ns = timeval_ns(&ru.ru_utime) + timeval_ns(&ru.ru_stime);
	buf[len] = '\0';
	*out = buf;
	return rc;
}

bool peer_number_before(const char *text, const char *word, double *value)
{
	const char *hit = strstr(text, word);
	const char *p;

	if (!hit)
		return false;
	p = hit;
	while (p > text && p[-1] == ' ')
		p--;
	while (p > text && (strchr("0123456789.eE+-", p[-1])))
		p--;
	if (p == hit)
		return false;
	*value = strtod(p, NULL);
	return true;
}

bool peer_number_after(const char *text, const char *word, double *value)
{
	const char *hit = strstr(text, word);
	char *end;

	if (!hit)
		return false;
	*value = strtod(hit + strlen(word), &end);
	return end != hit + strlen(word);
}

/* The line of output that says best what went wrong: the first that
 * mentions a failure or an error, else the last one. */
static void telling_line(const char *output, char *buf, size_t len)
{
	static const char *const words[] = { "fail", "error", "Error", "denied",
					     "not found" };
	const char *start = NULL, *end;

	for (size_t i = 0; !start && i < sizeof(words) / sizeof(words[0]);
	     i++) {
		const char *hit = strstr(output, words[i]);

		if (hit && !strstr(output, "successful run completed")) {
			start = hit;
			while (start > output && start[-1] != '\n')
				start--;
		}
	}
	if (!start) {
		end = output + strlen(output);
		while (end > output && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		start = end;
		while (start > output && start[-1] != '\n')
			start--;
	}
	end = start + strcspn(start, "\n");
	snprintf(buf, len, ": %.*s", (int)(end - start), start);
}

void peer_failed(struct bench_ctx *ctx, const char *tool, int err,
		 const char *output)
{
	char line[200] = "";

	if (output && *output)
		telling_line(output, line, sizeof(line));
	bench_note(ctx, "peer %s: %s%s", tool,
		   err == -ECHILD ? "exited with a failure" : pt_strerror(-err),
		   line);
}

uint64_t peer_baseline_cpu_ns(struct bench_ctx *ctx, enum bench_place place,
			      char *const argv[], int timeout_ms)
{
	struct bench_where where;
	uint64_t cpu_ns = 0;
	char *out = NULL;

	bench_place(ctx, place, &where);
	if (peer_run(argv, timeout_ms, &out, &cpu_ns))
		cpu_ns = 0;
	bench_unplace(ctx);
	free(out);
	return cpu_ns;
}

int peer_measure(struct bench_ctx *ctx, const struct bench_case *c,
		 char *const argv[], int timeout_ms, peer_parse_fn *parse,
		 void *arg)
{
	unsigned reps = bench_reps(ctx);
	struct bench_where where;
	char label[128];
	double values[64];
	size_t n = 0;

	snprintf(label, sizeof(label), "%s %s%s%s (%s)", argv[0],
		 argv[1] ? argv[1] : "", argv[1] && argv[2] ? " " : "",
		 argv[1] && argv[2] ? argv[2] : "", c->name);
	/* Each run of a tool pays its start-up; two keep --quick quick. */
	if (bench_profile(ctx) == BENCH_QUICK && reps > 2)
		reps = 2;
	if (reps > 64)
		reps = 64;
	bench_progress(ctx, label);
	bench_place(ctx, c->place, &where);
	for (unsigned r = 0; r < reps; r++) {
		uint64_t cpu_ns = 0;
		char *out = NULL;
		int rc = peer_run(argv, timeout_ms, &out, &cpu_ns);

		if (!rc && !parse(out, cpu_ns, arg, &values[n]))
			rc = -EBADMSG;
		if (rc)
			peer_failed(ctx, label, rc, out);
		else
			n++;
		free(out);
		/* A tool that is not there or hangs will not do better on
		 * the next try. */
		if (rc == -ENOENT || rc == -ETIMEDOUT)
			break;
	}
	bench_unplace(ctx);
	return n ? bench_emit(ctx, c, values, n) : -EIO;
}

bool peer_tool_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return false;
	slash[1] = '\0';
	return true;
}

bool peer_program(struct bench_ctx *ctx, const char *dir, const char *name,
		  char *buf, size_t len, const char *missing)
{
	snprintf(buf, len, "%s%s", dir, name);
	if (!access(buf, X_OK))
		return true;
	bench_note(ctx, "%s", missing);
	return false;
}

bool peer_parse_value(const char *output, uint64_t cpu_ns, void *arg,
		      double *value)
{
	(void)cpu_ns;
	(void)arg;
	return peer_number_after(output, "value ", value) && *value > 0;
}
