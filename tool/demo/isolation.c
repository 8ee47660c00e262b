/* isolation.c - a thread shares its parent's memory and descriptors; a
 * process works on a copy.
 *
 * The parent sets a global variable, a heap buffer and a descriptor, then
 * runs the same function as a thread unit and as a process unit. The
 * function changes all three and maps a new page, and reports what it saw
 * from inside: the addresses, and whether its memory map is the parent's.
 * The parent then reads back what it sees itself. Every value printed is
 * read at run time; nothing is assumed.
 */
#include "demo/demo.h"

#include <procthread.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEAP_BYTES 32

static volatile int demo_global = 1;

struct iso_arg {
	char *heap;
	int fd;
	int parent_pid;
};

/* What the unit saw from inside, handed back as its result bytes. */
struct iso_report {
	uint64_t global_addr;
	uint64_t heap_addr;
	uint64_t page_addr;
	int pid;
	int tid;
	int global_seen; /* the global, read back after writing it */
	int own_maps_lines;
	int parent_maps_lines;
	int maps_identical; /* its memory map lists the parent's ranges */
};

#define MAPS_CAP (1u << 20)

/* Reads a /proc file into buf (cap bytes, NUL-terminated). Returns false
 * when it cannot be read or does not fit. Reading maps nothing of the
 * program's, so two reads in a row see the same memory map, unless a
 * sanitizer's runtime mapped memory of its own between them. */
static bool read_into(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n = 0, got;

	if (!f)
		return false;
	while (n < cap - 1 && (got = fread(buf + n, 1, cap - 1 - n, f)) > 0)
		n += got;
	fclose(f);
	buf[n] = 0;
	return n < cap - 1;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Whether a readable mapping listed in the maps text holds addr. Not only
 * one that starts there: the kernel merges a new anonymous page into a
 * neighbour with the same protection. */
static bool maps_has(const char *maps, uint64_t addr)
{
	for (const char *line = maps; line && *line;) {
		char *rest;
		uint64_t start = strtoull(line, &rest, 16), end = 0;

		if (*rest == '-')
			end = strtoull(rest + 1, &rest, 16);
		/* "start-end perms ...": perms begin with r or - */
		if (*rest == ' ' && start <= addr && addr < end)
			return rest[1] == 'r';
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return false;
}

/* What the unit writes into its new page: the parent holds that page only
 * if it finds the mark there (an address a process unit used may hold
 * something else of the parent's). */
static const char page_mark[] = "procthread demo isolation: the unit's page";

/* Whether two maps texts list the same address ranges in the same order.
 * Only the ranges are compared: each task's view names its own stack
 * "[stack]", so the labels differ between threads of one process. */
static bool same_ranges(const char *a, const char *b)
{
	while (*a && *b) {
		size_t la = strcspn(a, " "), lb = strcspn(b, " ");

		if (la != lb || strncmp(a, b, la) != 0)
			return false;
		a = strchr(a, '\n');
		b = strchr(b, '\n');
		if (!a || !b)
			return !a && !b;
		a++;
		b++;
	}
	return !*a && !*b;
}

static int change_everything(void *p)
{
	struct iso_arg *arg = p;
	struct iso_report rep = { 0 };
	char parent_path[64];
	char *own = malloc(MAPS_CAP), *parent = malloc(MAPS_CAP);
	void *page;
	int rc = 1;

	demo_global = 2;
	snprintf(arg->heap, HEAP_BYTES, "unit");
	close(arg->fd);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || !own || !parent)
		goto out;
	memcpy(page, page_mark, sizeof(page_mark));

	rep.global_addr = (uint64_t)(uintptr_t)&demo_global;
	rep.heap_addr = (uint64_t)(uintptr_t)arg->heap;
	rep.page_addr = (uint64_t)(uintptr_t)page;
	rep.pid = getpid();
	rep.tid = gettid();
	rep.global_seen = demo_global;
	snprintf(parent_path, sizeof(parent_path), "/proc/%d/maps",
		 arg->parent_pid);
	/* Up to three looks: between two reads a sanitizer's runtime may map
	 * memory of its own (TSan's background thread does), which a thread
	 * sees in both views but at different moments. A process's view
	 * never matches, whatever the moment: it holds its new page. */
	for (int look = 0; look < 3 && !rep.maps_identical; look++) {
		if (!read_into("/proc/thread-self/maps", own, MAPS_CAP) ||
		    !read_into(parent_path, parent, MAPS_CAP))
			goto out;
		rep.maps_identical = same_ranges(own, parent);
	}
	rep.own_maps_lines = count_lines(own);
	rep.parent_maps_lines = count_lines(parent);
	rc = pt_unit_set_result(&rep, sizeof(rep)) ? 1 : 0;
out:
	free(own);
	free(parent);
	return rc;
}

/* What the parent sees after one unit ran. */
struct iso_outcome {
	struct iso_report rep;
	int global_after;
	char heap_after[HEAP_BYTES];
	bool fd_open_after;
	bool page_in_parent;
};

static int run_one(enum pt_kind kind, struct iso_outcome *out)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .name = "pt-isolation",
			     .result_capacity = sizeof(struct iso_report));
	struct iso_arg arg = { .parent_pid = getpid() };
	struct pt_status st;
	const void *res;
	size_t len = 0;
	char *maps;
	pt_unit *unit;
	int rc;

	demo_global = 1;
	arg.heap = malloc(HEAP_BYTES);
	arg.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!arg.heap || arg.fd < 0) {
		fprintf(stderr,
			"procthread demo isolation: out of resources\n");
		goto err;
	}
	snprintf(arg.heap, HEAP_BYTES, "parent");
	rc = pt_unit_spawn(&opts, change_everything, &arg, &unit);
	if (rc) {
		fprintf(stderr, "procthread demo isolation: spawn %s: %s\n",
			pt_kind_name(kind), pt_strerror(rc));
		goto err;
	}
	rc = pt_unit_join(unit, -1, &st);
	res = rc ? NULL : pt_unit_result(unit, &len);
	if (!res || st.how != PT_EXIT_RETURNED || st.code != 0 ||
	    len != sizeof(out->rep)) {
		fprintf(stderr,
			"procthread demo isolation: the %s unit "
			"failed (%s)\n",
			pt_kind_name(kind), rc ? pt_strerror(rc) : "no report");
		pt_unit_destroy(unit);
		goto err;
	}
	memcpy(&out->rep, res, sizeof(out->rep));
	pt_unit_destroy(unit);

	out->global_after = demo_global;
	snprintf(out->heap_after, sizeof(out->heap_after), "%s", arg.heap);
	out->fd_open_after = fcntl(arg.fd, F_GETFD) >= 0;
	maps = malloc(MAPS_CAP);
	out->page_in_parent =
		maps && read_into("/proc/self/maps", maps, MAPS_CAP) &&
		maps_has(maps, out->rep.page_addr) &&
		memcmp((const void *)(uintptr_t)out->rep.page_addr, page_mark,
		       sizeof(page_mark)) == 0;
	free(maps);
	/* The thread's page is ours now; the process's went with it. */
	if (out->page_in_parent)
		munmap((void *)(uintptr_t)out->rep.page_addr, 4096);
	if (out->fd_open_after)
		close(arg.fd);
	free(arg.heap);
	return 0;
err:
	if (arg.fd >= 0)
		close(arg.fd);
	free(arg.heap);
	return 1;
}

static json_t *outcome_json(const struct iso_outcome *o)
{
	return json_pack(
		"{s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:s, s:b, s:b, s:i, s:i, "
		"s:b}",
		"global_address", (json_int_t)o->rep.global_addr,
		"heap_address", (json_int_t)o->rep.heap_addr, "page_address",
		(json_int_t)o->rep.page_addr, "pid", o->rep.pid, "tid",
		o->rep.tid, "global_seen_by_unit", o->rep.global_seen,
		"global_seen_by_parent", o->global_after, "heap_seen_by_parent",
		o->heap_after, "fd_open_in_parent", o->fd_open_after,
		"page_in_parent_maps", o->page_in_parent, "unit_maps_lines",
		o->rep.own_maps_lines, "parent_maps_lines",
		o->rep.parent_maps_lines, "maps_identical",
		o->rep.maps_identical);
}

static void print_text(const struct demo_ctx *ctx, const struct iso_outcome *t,
		       const struct iso_outcome *p)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *n = demo_plain(ctx);
	char tv[64], pv[64];

	fprintf(out,
		"%sisolation%s: what a thread shares and a process "
		"copies (parent pid %d)\n\n",
		b, n, (int)getpid());
	fprintf(out,
		"The parent sets global = 1, heap = \"parent\" and opens "
		"a descriptor; each unit\nthen writes global = 2, heap = "
		"\"unit\", closes the descriptor and maps a new page.\n\n");
	fprintf(out, "%-26s %-24s %s\n", "", "thread unit", "process unit");
	snprintf(tv, sizeof(tv), "%d / %d", t->rep.pid, t->rep.tid);
	snprintf(pv, sizeof(pv), "%d / %d", p->rep.pid, p->rep.tid);
	fprintf(out, "%-26s %-24s %s\n", "pid / tid", tv, pv);
	snprintf(tv, sizeof(tv), "%#" PRIx64, t->rep.global_addr);
	snprintf(pv, sizeof(pv), "%#" PRIx64, p->rep.global_addr);
	fprintf(out, "%-26s %-24s %s\n", "address of global", tv, pv);
	snprintf(tv, sizeof(tv), "%d (unit saw %d)", t->global_after,
		 t->rep.global_seen);
	snprintf(pv, sizeof(pv), "%d (unit saw %d)", p->global_after,
		 p->rep.global_seen);
	fprintf(out, "%-26s %-24s %s\n", "global, parent reads", tv, pv);
	snprintf(tv, sizeof(tv), "%#" PRIx64, t->rep.heap_addr);
	snprintf(pv, sizeof(pv), "%#" PRIx64, p->rep.heap_addr);
	fprintf(out, "%-26s %-24s %s\n", "address of heap buffer", tv, pv);
	snprintf(tv, sizeof(tv), "\"%s\"", t->heap_after);
	snprintf(pv, sizeof(pv), "\"%s\"", p->heap_after);
	fprintf(out, "%-26s %-24s %s\n", "heap, parent reads", tv, pv);
	fprintf(out, "%-26s %-24s %s\n", "descriptor in parent",
		t->fd_open_after ? "still open" : "closed",
		p->fd_open_after ? "still open" : "closed");
	fprintf(out, "%-26s %-24s %s\n", "unit's new page in parent",
		t->page_in_parent ? "mapped" : "absent",
		p->page_in_parent ? "mapped" : "absent");
	snprintf(tv, sizeof(tv), "%s (%d lines)",
		 t->rep.maps_identical ? "the parent's" : "its own",
		 t->rep.own_maps_lines);
	snprintf(pv, sizeof(pv), "%s (%d lines)",
		 p->rep.maps_identical ? "the parent's" : "its own",
		 p->rep.own_maps_lines);
	fprintf(out, "%-26s %-24s %s\n", "memory map (/proc/*/maps)", tv, pv);

	fprintf(out, "\n%sthread%s:  ", b, n);
	demo_wrap(out, 9, 9,
		  t->global_after == 2 && !t->fd_open_after &&
				  t->page_in_parent && t->rep.maps_identical
			  ? "one address space and one descriptor table: "
			    "every change the thread made is the parent's "
			    "too."
			  : "unexpected: the thread's changes did not all "
			    "reach the parent.");
	fprintf(out, "%sprocess%s: ", b, n);
	demo_wrap(out, 9, 9,
		  p->global_after == 1 && p->fd_open_after &&
				  !p->page_in_parent &&
				  p->rep.global_addr == t->rep.global_addr
			  ? "the same virtual addresses, but its own copy "
			    "of the memory and descriptors: the parent saw "
			    "none of it."
			  : "unexpected: the process's changes reached the "
			    "parent.");
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct iso_outcome t = { 0 }, p = { 0 };

	if (run_one(PT_KIND_THREAD, &t) || run_one(PT_KIND_PROCESS, &p))
		return 1;
	if (ctx->json) {
		json_object_set_new(facts, "parent_pid",
				    json_integer(getpid()));
		json_object_set_new(facts, "thread", outcome_json(&t));
		json_object_set_new(facts, "process", outcome_json(&p));
		return 0;
	}
	print_text(ctx, &t, &p);
	return 0;
}

const struct demo demo_isolation = {
	.name = "isolation",
	.summary = "a thread changes its parent's memory; a process its copy",
	.run = run_demo,
};
