/* overhead.c - what a thread and a process cost to create.
 *
 * Time: 1,000 units of each kind are created and joined one after
 * another, each returning at once, so the figure is the whole life of an
 * empty unit: pt_unit_spawn() to pt_unit_join().
 *
 * Memory: 1,000 units of each kind are then kept alive together behind a
 * gate and counted from /proc while they wait. A thread adds to its own
 * process, so its cost is the growth of the process's resident set divided
 * by the count. A process has its own memory, most of it shared with the
 * parent copy-on-write, so its cost is what is its alone: its private
 * resident pages plus its page tables (smaps_rollup and VmPTE), averaged.
 * The kernel's own task structures are not visible there and are left out
 * for both kinds.
 */
#include "demo/demo.h"
#include "procfs/procfs.h"

#include <procthread.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OVERHEAD_UNITS	1000
#define UNITS_TEXT	"1,000" /* OVERHEAD_UNITS, as people write it */
#define GATE_TIMEOUT_MS 60000

struct cost {
	uint64_t total_ns; /* creating and joining OVERHEAD_UNITS in a row */
	uint64_t rss_bytes_per_unit;
	uint64_t virt_bytes_per_unit; /* new address space per unit */
	uint64_t parent_virt_bytes;   /* the process's size, for contrast */
};

static int return_at_once(void *arg)
{
	(void)arg;
	return 0;
}

static int wait_at_gate(void *arg)
{
	struct demo_gate *gate = arg;

	demo_gate_arrive(gate);
	return demo_gate_pass(gate, GATE_TIMEOUT_MS) ? 0 : 1;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "procthread demo overhead: %s: %s\n", what,
		pt_strerror(err));
	return 1;
}

static int time_kind(enum pt_kind kind, uint64_t *total_ns)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .name = "pt-overhead");
	struct pt_status st;
	uint64_t start = demo_now_ns();
	pt_unit *unit;
	int rc;

	for (int i = 0; i < OVERHEAD_UNITS; i++) {
		rc = pt_unit_spawn(&opts, return_at_once, NULL, &unit);
		if (rc)
			return fail("create", rc);
		rc = pt_unit_join(unit, -1, &st);
		pt_unit_destroy(unit);
		if (rc)
			return fail("join", rc);
	}
	*total_ns = demo_now_ns() - start;
	return 0;
}

/* Resident and virtual size of a process, in bytes, from its status. */
static int read_sizes(int pid, uint64_t *rss, uint64_t *virt)
{
	char path[64], *text = NULL;
	uint64_t rss_kb, virt_kb;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	rc = procfs_read(AT_FDCWD, path, &text, NULL);
	if (rc)
		return rc;
	if (!procfs_field_u64(text, "VmRSS", &rss_kb) ||
	    !procfs_field_u64(text, "VmSize", &virt_kb))
		rc = -EBADMSG;
	free(text);
	if (!rc) {
		*rss = rss_kb * 1024;
		*virt = virt_kb * 1024;
	}
	return rc;
}

/* What a child process holds alone: private resident pages and its page
 * tables, in bytes. */
static int read_private(int pid, uint64_t *bytes)
{
	char path[64], *rollup = NULL, *status = NULL;
	uint64_t clean, dirty, pte;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	rc = procfs_read(AT_FDCWD, path, &rollup, NULL);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	rc = procfs_read(AT_FDCWD, path, &status, NULL);
	if (rc)
		goto out_rollup;
	if (!procfs_field_u64(rollup, "Private_Clean", &clean) ||
	    !procfs_field_u64(rollup, "Private_Dirty", &dirty) ||
	    !procfs_field_u64(status, "VmPTE", &pte))
		rc = -EBADMSG;
	else
		*bytes = (clean + dirty + pte) * 1024;
	free(status);
out_rollup:
	free(rollup);
	return rc;
}

static int measure_alive(enum pt_kind kind, pt_unit **units,
			 struct demo_gate *gate, struct cost *c)
{
	uint64_t rss0, virt0, rss1, virt1, sum = 0, one;
	int rc;

	rc = read_sizes(getpid(), &rss0, &virt0);
	if (rc)
		return fail("read /proc/self/status", rc);
	for (int i = 0; i < OVERHEAD_UNITS; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = kind, .name = "pt-overhead");

		rc = pt_unit_spawn(&opts, wait_at_gate, gate, &units[i]);
		if (rc)
			return fail("create", rc);
	}
	rc = demo_gate_await(gate, OVERHEAD_UNITS, GATE_TIMEOUT_MS);
	if (rc)
		return fail("waiting for the units", rc);
	rc = read_sizes(getpid(), &rss1, &virt1);
	if (rc)
		return fail("read /proc/self/status", rc);
	c->parent_virt_bytes = virt0;
	if (kind == PT_KIND_THREAD) {
		c->rss_bytes_per_unit =
			(rss1 > rss0 ? rss1 - rss0 : 0) / OVERHEAD_UNITS;
		c->virt_bytes_per_unit =
			(virt1 > virt0 ? virt1 - virt0 : 0) / OVERHEAD_UNITS;
		return 0;
	}
	for (int i = 0; i < OVERHEAD_UNITS; i++) {
		rc = read_private(pt_unit_pid(units[i]), &one);
		if (rc)
			return fail("read a child's /proc", rc);
		sum += one;
	}
	c->rss_bytes_per_unit = sum / OVERHEAD_UNITS;
	/* A child's address space is a copy of the parent's: it adds all
	 * of it, though almost none of it is resident or private. */
	c->virt_bytes_per_unit = virt0;
	return 0;
}

static int measure_kind(enum pt_kind kind, struct cost *c)
{
	struct demo_gate *gate = demo_share(sizeof(*gate));
	pt_unit **units = calloc(OVERHEAD_UNITS, sizeof(pt_unit *));
	int rc = 1;

	if (!gate || !units) {
		fail("memory", -ENOMEM);
		goto out;
	}
	if (time_kind(kind, &c->total_ns))
		goto out;
	rc = measure_alive(kind, units, gate, c);
	demo_gate_open(gate);
	demo_join_all(units, OVERHEAD_UNITS, NULL);
out:
	free(units);
	demo_unshare(gate, sizeof(*gate));
	return rc;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static json_t *cost_json(const struct cost *c)
{
	return json_pack(
		"{s:I, s:f, s:I, s:I}", "create_join_total_ns",
		(json_int_t)c->total_ns, "create_join_per_unit_us",
		(double)c->total_ns / OVERHEAD_UNITS / 1e3,
		"memory_per_unit_bytes", (json_int_t)c->rss_bytes_per_unit,
		"virtual_per_unit_bytes", (json_int_t)c->virt_bytes_per_unit);
}

static void human_bytes(char *buf, size_t cap, uint64_t bytes)
{
	if (bytes >= 1u << 20)
		snprintf(buf, cap, "%.1f MiB", (double)bytes / (1 << 20));
	else
		snprintf(buf, cap, "%.1f KiB", (double)bytes / 1024);
}

static void print_text(const struct demo_ctx *ctx, const struct cost *t,
		       const struct cost *p)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *n = demo_plain(ctx);
	char tv[32], pv[32];

	fprintf(out,
		"%soverhead%s: what it costs to create a thread and a "
		"process (pid %d)\n\n",
		b, n, (int)getpid());
	fprintf(out,
		"Each kind: %s units created and joined one after "
		"another, each returning at\nonce; then %s kept alive "
		"together to count the memory each one adds.\n\n",
		UNITS_TEXT, UNITS_TEXT);
	fprintf(out, "%-28s %-14s %-14s %s\n", "", "thread unit",
		"process unit", "process/thread");
	demo_duration(tv, sizeof(tv), t->total_ns);
	demo_duration(pv, sizeof(pv), p->total_ns);
	fprintf(out, "%-28s %-14s %-14s %.1fx\n",
		"create + join, all " UNITS_TEXT, tv, pv,
		ratio(p->total_ns, t->total_ns));
	demo_duration(tv, sizeof(tv), t->total_ns / OVERHEAD_UNITS);
	demo_duration(pv, sizeof(pv), p->total_ns / OVERHEAD_UNITS);
	fprintf(out, "%-28s %-14s %s\n", "  per unit", tv, pv);
	human_bytes(tv, sizeof(tv), t->rss_bytes_per_unit);
	human_bytes(pv, sizeof(pv), p->rss_bytes_per_unit);
	fprintf(out, "%-28s %-14s %-14s %.1fx\n", "resident memory per unit",
		tv, pv, ratio(p->rss_bytes_per_unit, t->rss_bytes_per_unit));
	human_bytes(tv, sizeof(tv), t->virt_bytes_per_unit);
	human_bytes(pv, sizeof(pv), p->virt_bytes_per_unit);
	fprintf(out, "%-28s %-14s %s\n", "address space per unit", tv, pv);
	fprintf(out,
		"\n(thread: the growth of this process's resident set / %s, "
		"and its new stack;\nprocess: the child's private resident "
		"pages and page tables, and its copy of\nthe %s address "
		"space, shared copy-on-write until written.)\n",
		UNITS_TEXT, pv);
	demo_conclude(ctx,
		      "here a process cost %.0fx the time of a thread to "
		      "create and join, and %.0fx the memory: fork copies "
		      "the page tables and kernel state of the whole "
		      "process, while a thread only needs a stack in the "
		      "process it joins.",
		      ratio(p->total_ns, t->total_ns),
		      ratio(p->rss_bytes_per_unit, t->rss_bytes_per_unit));
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct cost t = { 0 }, p = { 0 };

	if (measure_kind(PT_KIND_THREAD, &t) ||
	    measure_kind(PT_KIND_PROCESS, &p))
		return 1;
	if (ctx->json) {
		json_object_set_new(facts, "units",
				    json_integer(OVERHEAD_UNITS));
		json_object_set_new(facts, "thread", cost_json(&t));
		json_object_set_new(facts, "process", cost_json(&p));
		json_object_set_new(facts, "time_ratio",
				    json_real(ratio(p.total_ns, t.total_ns)));
		json_object_set_new(facts, "memory_ratio",
				    json_real(ratio(p.rss_bytes_per_unit,
						    t.rss_bytes_per_unit)));
		return 0;
	}
	print_text(ctx, &t, &p);
	return 0;
}

const struct demo demo_overhead = {
	.name = "overhead",
	.summary = "create and join 1,000 threads and 1,000 processes",
	.run = run_demo,
};
