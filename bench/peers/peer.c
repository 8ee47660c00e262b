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
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUTPUT_MAX ((size_t)256 << 10)

bool pt_peer_found(const char *tool)
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
		uint64_t now = pt_bench_now_ns();
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

int pt_peer_run(char *const argv[], int timeout_ms, char **out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *buf = malloc(OUTPUT_MAX);
	size_t len = 0;
	int fds[2], status, rc;
	pid_t pid;

	/* posix_spawnp reports a missing program, except where it is built
	 * on fork (valgrind): look first, so both say -ENOENT. */
	if (!strchr(argv[0], '/') && !pt_peer_found(argv[0])) {
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
		     pt_bench_now_ns() + (uint64_t)timeout_ms * 1000000u);
	close(fds[0]);
	if (rc)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = -ECHILD;
	buf[len] = '\0';
	*out = buf;
	return rc;
}

bool pt_peer_number_before(const char *text, const char *word, double *value)
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

bool pt_peer_number_after(const char *text, const char *word, double *value)
{
	const char *hit = strstr(text, word);
	char *end;

	if (!hit)
		return false;
	*value = strtod(hit + strlen(word), &end);
	return end != hit + strlen(word);
}

void pt_peer_failed(struct pt_bench_ctx *ctx, const char *tool, int err,
		    const char *output)
{
	char last[160] = "";

	if (output) {
		/* The last non-empty line usually says what went wrong. */
		const char *end = output + strlen(output);

		while (end > output && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		const char *start = end;
		while (start > output && start[-1] != '\n')
			start--;
		snprintf(last, sizeof(last), ": %.*s", (int)(end - start),
			 start);
	}
	pt_bench_note(ctx, "peer %s: %s%s", tool,
		      err == -ECHILD ? "failed" : pt_strerror(-err), last);
}
