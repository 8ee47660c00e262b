/* memory.c - the memory claim: what each additional idle thread or
 * process costs, and what copy-on-write costs a process that writes
 * memory it inherited.
 *
 * Idle units: N units (pt_unit_spawn) start, announce themselves and sleep
 * on a futex. Memory is read before they start and while they sleep:
 *   rss-per-unit      threads: this process's Rss growth / N; processes:
 *                     a child's Rss (what ps shows; it counts shared pages)
 *   pss-per-unit      growth of the Pss of this process plus the children
 *                     / N: new memory, shared pages split among sharers
 *   kernel-per-unit   growth of KernelStack + PageTables in /proc/meminfo
 *                     / N (system-wide, so other activity adds noise)
 *   virtual-per-unit  threads: this process's VmSize growth / N (stacks);
 *                     processes: a child's VmSize (a whole address space)
 * glibc keeps the stacks of ended threads for reuse, which would make new
 * threads look free: each measured thread asks for a stack one page larger
 * than any before (the default size plus at most a few hundred KiB), which
 * the cache cannot serve.
 *
 * Copy-on-write: this process touches size bytes (4 KiB pages), then a
 * unit writes one byte per page. A process unit gets a private copy of
 * every page it writes; a thread unit writes the one copy there is. The
 * unit reports its Private_Dirty growth (cow-private, bytes) and the time
 * the writes took (cow-write, ns for the whole size).
 *
 * Memory figures come from /proc/<pid>/smaps_rollup, /proc/<pid>/status and
 * /proc/meminfo, read with open/read into stack buffers so a forked child
 * never needs malloc.
 */
#include "bench/engine/bench.h"

#include <procthread/error.h>

#include <procthread/unit.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_UNITS 64
#define MAX_REPS  16

struct idle_page {
	_Alignas(64) atomic_uint started;
	_Alignas(64) atomic_uint release;
};

/* Values of a /proc file's "Key:   123 kB" lines, in bytes. */
struct mem_fields {
	uint64_t rss, pss, private_dirty, vm_size, kernel_stack, page_tables;
};

static long futex(atomic_uint *word, int op, unsigned val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Reads path into buf; returns the bytes read or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1 &&
	       (n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

/* The value of "key: N kB" in text, in bytes; 0 when absent. */
static uint64_t kb_field(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, len) && p[len] == ':')
			return strtoull(p + len + 1, NULL, 10) * 1024;
	}
	return 0;
}

/* Fills the fields of pid ("self" or a number) that the files have. */
static int read_mem(const char *pid, struct mem_fields *m)
{
	char path[64], buf[4096] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	m->rss = kb_field(buf, "Rss");
	m->pss = kb_field(buf, "Pss");
	m->private_dirty = kb_field(buf, "Private_Dirty");
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -EIO;
	m->vm_size = kb_field(buf, "VmSize");
	return 0;
}

static int read_meminfo(struct mem_fields *m)
{
	char buf[8192] = "";

	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -EIO;
	m->kernel_stack = kb_field(buf, "KernelStack");
	m->page_tables = kb_field(buf, "PageTables");
	return 0;
}

/* Repetitions of an experiment, within what the arrays below hold. */
static unsigned reps_of(const struct bench_ctx *ctx)
{
	unsigned reps = bench_reps(ctx);

	return reps < MAX_REPS ? reps : MAX_REPS;
}

/* --- idle units --------------------------------------------------------- */

static int idle_unit(void *arg)
{
	struct idle_page *pg = arg;

	atomic_fetch_add(&pg->started, 1);
	futex(&pg->started, FUTEX_WAKE, INT_MAX, NULL);
	while (!atomic_load(&pg->release))
		futex(&pg->release, FUTEX_WAIT, 0, NULL);
	return 0;
}

/* Waits until n units announced themselves, for up to 30 s: every start
 * wakes the waiter, so the deadline is on the clock, not on wake-ups. */
static int wait_started(struct idle_page *pg, unsigned n)
{
	const struct timespec tick = { .tv_nsec = 100000000 };
	uint64_t deadline = bench_now_ns() + (uint64_t)30 * 1000000000u;

	for (;;) {
		unsigned now = atomic_load(&pg->started);

		if (now >= n)
			return 0;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		futex(&pg->started, FUTEX_WAIT, now, &tick);
	}
}

struct idle_sample {
	double rss, pss, kernel, virt; /* per unit */
};

/* A thread stack size glibc's cache cannot serve: it reuses a cached
 * stack only when it is at least as large as the one asked for, so a size
 * one page above any asked for before always gets fresh memory. */
static size_t fresh_stack_bytes(void)
{
	static size_t seq;
	size_t dflt = 8 << 20;
	pthread_attr_t attr;

	if (pthread_getattr_default_np(&attr) == 0) {
		pthread_attr_getstacksize(&attr, &dflt);
		pthread_attr_destroy(&attr);
	}
	return dflt + ++seq * (size_t)sysconf(_SC_PAGESIZE);
}

static int measure_units(enum pt_kind kind, unsigned n, struct idle_page *pg,
			 pt_unit **units, struct idle_sample *out)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind,
			     .stack_bytes = kind == PT_KIND_THREAD
						    ? fresh_stack_bytes()
						    : 0);
	struct mem_fields before = { 0 }, after = { 0 }, child = { 0 };
	double child_rss = 0, child_pss = 0, child_vm = 0;
	unsigned made = 0;
	int rc;

	rc = read_mem("self", &before);
	if (!rc)
		rc = read_meminfo(&before);
	while (!rc && made < n) {
		rc = pt_unit_spawn(&opts, idle_unit, pg, &units[made]);
		made += !rc;
	}
	if (!rc)
		rc = wait_started(pg, n);
	if (!rc)
		rc = read_mem("self", &after);
	if (!rc)
		rc = read_meminfo(&after);
	for (unsigned i = 0; !rc && kind == PT_KIND_PROCESS && i < n; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", pt_unit_pid(units[i]));
		rc = read_mem(pid, &child);
		child_rss += (double)child.rss;
		child_pss += (double)child.pss;
		child_vm += (double)child.vm_size;
	}
	atomic_store(&pg->release, 1);
	futex(&pg->release, FUTEX_WAKE, INT_MAX, NULL);
	for (unsigned i = 0; i < made; i++) {
		struct pt_status st;

		pt_unit_join(units[i], 5000, &st);
		pt_unit_destroy(units[i]);
	}
	if (rc)
		return rc;
	out->kernel =
		((double)after.kernel_stack + (double)after.page_tables -
		 (double)before.kernel_stack - (double)before.page_tables) /
		n;
	if (kind == PT_KIND_THREAD) {
		out->rss = ((double)after.rss - (double)before.rss) / n;
		out->pss = ((double)after.pss - (double)before.pss) / n;
		out->virt =
			((double)after.vm_size - (double)before.vm_size) / n;
	} else {
		out->rss = child_rss / n;
		out->pss =
			((double)after.pss + child_pss - (double)before.pss) /
			n;
		out->virt = child_vm / n;
	}
	return 0;
}

static int emit_idle(struct bench_ctx *ctx, enum pt_kind kind, unsigned n,
		     struct idle_sample *s, unsigned reps)
{
	static const char *const names[] = { "rss-per-unit", "pss-per-unit",
					     "kernel-per-unit",
					     "virtual-per-unit" };
	const struct bench_param params[] = { BENCH_INT("units", n) };
	double v[MAX_REPS];
	int rc = 0;

	for (int m = 0; m < 4; m++) {
		struct bench_case c = {
			.name = names[m],
			.kind = kind == PT_KIND_THREAD ? BENCH_THREAD
						       : BENCH_PROCESS,
			.unit = "bytes",
			BENCH_PARAMS(params),
		};

		for (unsigned r = 0; r < reps; r++)
			v[r] = m == 0	? s[r].rss
			       : m == 1 ? s[r].pss
			       : m == 2 ? s[r].kernel
					: s[r].virt;
		rc |= bench_emit(ctx, &c, v, reps);
	}
	return rc;
}

static int idle_cases(struct bench_ctx *ctx)
{
	static const unsigned quick[] = { 1, 64 }, dflt[] = { 1, 4, 16, 64 },
			      full[] = { 1, 2, 4, 8, 16, 32, 64 };
	enum bench_profile prof = bench_profile(ctx);
	const unsigned *ns = prof == BENCH_QUICK  ? quick
			     : prof == BENCH_FULL ? full
						  : dflt;
	size_t count = prof == BENCH_QUICK ? 2 : prof == BENCH_FULL ? 7 : 4;
	unsigned reps = reps_of(ctx);
	struct idle_page *pg = mmap(NULL, sizeof(*pg), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pt_unit *units[MAX_UNITS];
	struct idle_sample s[MAX_REPS];
	int rc = 0;

	if (pg == MAP_FAILED)
		return -ENOMEM;
	for (int k = 0; k < 2 && !rc; k++) {
		enum pt_kind kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD;

		for (size_t i = 0; i < count && !rc; i++) {
			bench_progress(ctx, "idle units");
			for (unsigned r = 0; r < reps && !rc; r++) {
				atomic_store(&pg->started, 0);
				atomic_store(&pg->release, 0);
				rc = measure_units(kind, ns[i], pg, units,
						   &s[r]);
			}
			if (!rc)
				rc = emit_idle(ctx, kind, ns[i], s, reps);
		}
	}
	munmap(pg, sizeof(*pg));
	if (rc)
		bench_note(ctx, "memory: idle units: %s", pt_strerror(-rc));
	return rc;
}

/* --- copy-on-write ------------------------------------------------------ */

struct cow_arg {
	char *mem;
	size_t len;
};

struct cow_result {
	uint64_t private_bytes;
	uint64_t write_ns;
};

/* The unit: writes to each 4 KiB page of the suite's memory (a process
 * unit's copy of it) and hands back the private memory and the time that
 * took. */
static int cow_writer(void *arg)
{
	const struct cow_arg *a = arg;
	struct mem_fields before = { 0 }, after = { 0 };
	struct cow_result res;
	uint64_t start_ns;

	if (read_mem("self", &before))
		return 1;
	start_ns = bench_now_ns();
	for (size_t off = 0; off < a->len; off += 4096)
		a->mem[off]++;
	res.write_ns = bench_now_ns() - start_ns;
	if (read_mem("self", &after))
		return 1;
	res.private_bytes = after.private_dirty - before.private_dirty;
	return pt_unit_set_result(&res, sizeof(res)) ? 1 : 0;
}

static int cow_once(enum pt_kind kind, struct cow_arg *a,
		    struct cow_result *out)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .result_capacity = sizeof(*out));
	const struct cow_result *res;
	struct pt_status st;
	pt_unit *unit;
	size_t len = 0;
	int rc = pt_unit_spawn(&opts, cow_writer, a, &unit);

	if (rc)
		return rc;
	rc = pt_unit_join(unit, 60000, &st);
	res = rc ? NULL : pt_unit_result(unit, &len);
	if (!rc &&
	    (st.how != PT_EXIT_RETURNED || st.code || len != sizeof(*out)))
		rc = -EIO;
	if (!rc)
		*out = *res;
	pt_unit_destroy(unit);
	return rc;
}

/* len bytes of private memory in 4 KiB pages, every page written. */
static char *populated(size_t len)
{
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	madvise(mem, len, MADV_NOHUGEPAGE);
	memset(mem, 1, len);
	return mem;
}

static int cow_cases(struct bench_ctx *ctx)
{
	static const size_t quick[] = { 1 << 20, 16 << 20 },
			    more[] = { 1 << 20, 16 << 20, 64 << 20 };
	bool is_quick = bench_profile(ctx) == BENCH_QUICK;
	unsigned reps = reps_of(ctx);
	int rc = 0;

	for (size_t i = 0; i < (is_quick ? 2u : 3u) && !rc; i++) {
		size_t len = is_quick ? quick[i] : more[i];
		struct cow_arg a = { .len = len };
		const struct bench_param params[] = { BENCH_INT("size", len) };

		bench_progress(ctx, "copy-on-write");
		a.mem = populated(len);
		if (!a.mem)
			return -ENOMEM;
		for (int k = 0; k < 2 && !rc; k++) {
			enum pt_kind kind =
				k ? PT_KIND_PROCESS : PT_KIND_THREAD;
			double priv[MAX_REPS], ns[MAX_REPS];
			struct bench_case c = {
				.kind = k ? BENCH_PROCESS : BENCH_THREAD,
				BENCH_PARAMS(params),
			};

			for (unsigned r = 0; r < reps && !rc; r++) {
				struct cow_result res = { 0 };

				rc = cow_once(kind, &a, &res);
				priv[r] = (double)res.private_bytes;
				ns[r] = (double)res.write_ns;
			}
			if (rc)
				break;
			c.name = "cow-private";
			c.unit = "bytes";
			rc |= bench_emit(ctx, &c, priv, reps);
			c.name = "cow-write";
			c.unit = "ns";
			rc |= bench_emit(ctx, &c, ns, reps);
		}
		munmap(a.mem, len);
	}
	if (rc)
		bench_note(ctx, "memory: copy-on-write: %s", pt_strerror(-rc));
	return rc;
}

static int memory_run(struct bench_ctx *ctx)
{
	int rc = idle_cases(ctx);

	return cow_cases(ctx) ? -1 : rc;
}

const struct bench_suite bench_suite_memory = {
	.name = "memory",
	.summary = "memory per idle thread or process (RSS, PSS, kernel, "
		   "virtual) and copy-on-write",
	.run = memory_run,
	.est_s = { 4, 12, 40 },
	/* A process unit's resident and virtual sizes include what it
	 * inherits, which grows with what the suites of earlier rounds left
	 * in this process. */
	.once = true,
};
