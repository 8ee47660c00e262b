/* support.c - what several demos need: memory shared with units of
 * both kinds, a gate that units arrive at and wait behind, CPU-time spins
 * and clocks.
 *
 * A demo measures its units from outside (through /proc, or through
 * counters they write) while they are still alive, so most units arrive at
 * a gate when their work is done and wait there until the demo has looked.
 * The gate lives in MAP_SHARED memory and waits with a shared (not
 * process-private) futex, so the same code holds a thread and a forked
 * process. Every wait is bounded: a unit whose demo failed halfway is
 * cancelled or times out instead of hanging the tool.
 */
#include "demo/demo.h"

#include <procthread.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void *demo_share(size_t bytes)
{
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	return mem;
}

void demo_unshare(void *mem, size_t bytes)
{
	if (mem)
		munmap(mem, bytes);
}

uint64_t demo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t demo_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void demo_spin_cpu_ns(uint64_t ns)
{
	uint64_t until = demo_thread_cpu_ns() + ns;

	while (demo_thread_cpu_ns() < until && !pt_cancelled())
		;
}

void demo_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Shared futexes (no FUTEX_PRIVATE_FLAG): the waiter may be another
 * process mapping the same page. atomic_uint has the size and layout of
 * the kernel's u32 on every Linux ABI. */
static void futex_wait(atomic_uint *word, unsigned seen, int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };

	syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void futex_wake_all(atomic_uint *word)
{
	syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE, INT_MAX, NULL, NULL,
		0);
}

void demo_gate_arrive(struct demo_gate *gate)
{
	atomic_fetch_add(&gate->arrived, 1);
	futex_wake_all(&gate->arrived);
}

bool demo_gate_pass(struct demo_gate *gate, int timeout_ms)
{
	uint64_t until = demo_now_ns() + (uint64_t)timeout_ms * 1000000u;

	/* Short slices: pt_unit_destroy() cancels a unit without waking
	 * the futex, so the cancel flag is looked at between waits. */
	while (!atomic_load(&gate->open)) {
		if (pt_cancelled() || demo_now_ns() >= until)
			return false;
		futex_wait(&gate->open, 0, 50);
	}
	return true;
}

int demo_gate_await(struct demo_gate *gate, unsigned n, int timeout_ms)
{
	uint64_t until = demo_now_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned seen;

	while ((seen = atomic_load(&gate->arrived)) < n) {
		if (demo_now_ns() >= until)
			return -ETIMEDOUT;
		futex_wait(&gate->arrived, seen, 50);
	}
	return 0;
}

void demo_gate_open(struct demo_gate *gate)
{
	atomic_store(&gate->open, 1);
	futex_wake_all(&gate->open);
}

void demo_join_all(pt_unit **units, size_t n, struct pt_status *st)
{
	struct pt_status ignored;

	for (size_t i = 0; i < n; i++) {
		if (!units[i])
			continue;
		pt_unit_join(units[i], -1, st ? &st[i] : &ignored);
		pt_unit_destroy(units[i]);
		units[i] = NULL;
	}
}

double demo_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

const char *demo_group(char *buf, size_t cap, uint64_t n)
{
	char digits[32];
	size_t len, out = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%llu",
			       (unsigned long long)n);
	for (size_t i = 0; i < len && out + 1 < cap; i++) {
		if (i && (len - i) % 3 == 0 && out + 2 < cap)
			buf[out++] = ',';
		buf[out++] = digits[i];
	}
	buf[out] = 0;
	return buf;
}

/* A step of a scale: a value from `from` up is shown divided by per, with
 * decimals decimals, and then unit. */
struct step {
	uint64_t from;
	double per;
	int decimals;
	const char *unit;
};

/* v at the first of n steps (largest first) it reaches; below them all,
 * whole, and then unit. */
static char *scaled(char *buf, size_t cap, uint64_t v, const struct step *steps,
		    size_t n, const char *unit)
{
	for (size_t i = 0; i < n; i++) {
		if (v >= steps[i].from) {
			snprintf(buf, cap, "%.*f%s", steps[i].decimals,
				 (double)v / steps[i].per, steps[i].unit);
			return buf;
		}
	}
	snprintf(buf, cap, "%llu%s", (unsigned long long)v, unit);
	return buf;
}

char *demo_duration(char *buf, size_t cap, uint64_t ns)
{
	static const struct step steps[] = {
		{ 10000000, 1e6, 0, " ms" },
		{ 1000000, 1e6, 1, " ms" },
		{ 10000, 1e3, 0, " us" },
		{ 1000, 1e3, 1, " us" },
	};

	return scaled(buf, cap, ns, steps, sizeof(steps) / sizeof(steps[0]),
		      " ns");
}

char *demo_count(char *buf, size_t cap, uint64_t n)
{
	static const struct step steps[] = {
		{ 10000000, 1e6, 0, "M" },
		{ 10000, 1e3, 0, "k" },
	};

	return scaled(buf, cap, n, steps, sizeof(steps) / sizeof(steps[0]), "");
}

char *demo_nobreak(char *text)
{
	for (char *p = text; *p; p++)
		if (*p == ' ')
			*p = DEMO_NBSP;
	return text;
}

void demo_wrap(FILE *out, int col, int indent, const char *text)
{
	bool first = true;

	for (;;) {
		int word;

		while (*text == ' ')
			text++;
		word = (int)strcspn(text, " ");
		if (!word)
			break;
		if (!first && col + 1 + word >= 80) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		/* DEMO_NBSP joins a number to its unit. */
		for (int i = 0; i < word; i++)
			fputc(text[i] == DEMO_NBSP ? ' ' : text[i], out);
		col += word;
		text += word;
		first = false;
	}
	fputc('\n', out);
}

void demo_conclude(const struct demo_ctx *ctx, const char *fmt, ...)
{
	char sentence[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sentence, sizeof(sentence), fmt, ap);
	va_end(ap);
	fprintf(ctx->out, "\n%sconclusion%s: ", demo_bold(ctx),
		demo_plain(ctx));
	demo_wrap(ctx->out, (int)strlen("conclusion: "), 0, sentence);
}

const char *demo_bold(const struct demo_ctx *ctx)
{
	return ctx->colour ? "\033[1m" : "";
}

const char *demo_plain(const struct demo_ctx *ctx)
{
	return ctx->colour ? "\033[0m" : "";
}
