/* run.c - one round of `procthread try`: the user's task run by a pool
 * of one kind, inside a host process of its own (try.h says why).
 *
 * A round has two phases. The throughput phase keeps a window of tasks in
 * flight (four per worker) until its share of --tasks or --time is done,
 * which is how a program that feeds a pool uses it. The latency phase then
 * runs tasks one at a time, submit to result, which is what a caller
 * waiting for one answer sees. Every task of both is counted by outcome.
 *
 * The host writes what it saw into a shared region the caller made before
 * forking it, field by field as it goes, and raises `done` once its tasks
 * are resolved, before it shuts its pool down: a thread pool whose task
 * outlived its deadline cannot be shut down (its thread cannot be stopped),
 * and the caller then ends the host after a grace period without losing
 * the round.
 *
 * The host is forked by the fork-server (started before the library was
 * loaded, while the tool had one thread) when it runs, else directly. It
 * takes nothing from this process's memory but a copy of struct
 * host_args and two descriptors: the round's region and the inputs'. It
 * loads the library itself before it starts a pool, so every worker it
 * forks has it mapped, and whatever threads the library started when this
 * process loaded it are not copied into a fork. */
#include "try/try.h"

#include "procfs/procfs.h"

#include "bench/engine/bench.h"

#include <procthread/region.h>
#include <procthread/unit.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define WINDOW_PER_WORKER 4
#define LATENCY_SHARE	  10 /* one task in ten of a round is timed alone */
#define JOIN_POLL_MS	  100

/* The region's head; per-input arrays follow it (see input_arrays()). */
struct host_shared {
	_Atomic uint32_t done;
	int create_error;
	_Atomic uint64_t tasks; /* resolved so far: the caller's watchdog */
	uint64_t window_tasks, window_ns, start_ns;
	double mem_per_worker;
	uint64_t outcome[TRY_OUTCOMES];
	uint64_t crash_signal[TRY_SIGNALS]; /* [0]: exits */
	int crash_exit_code;
	int first_failed_code;
	uint64_t sacrificed;
	uint32_t n_latency;
	uint64_t latency_ns[TRY_LATENCY_MAX];
};

/* What a host is given: a copy of this, and the two descriptors. */
struct host_args {
	char library[4096]; /* absolute */
	char symbol[TRY_SYMBOL_MAX];
	char init_symbol[TRY_SYMBOL_MAX]; /* "": none */
	enum pt_kind kind;
	unsigned index, rounds, workers;
	uint64_t tasks;
	double time_s;
	size_t arg_max, result_max;
	uint32_t timeout_ms;
	size_t n_inputs;
	int round_fd, inputs_fd;
	size_t round_len, inputs_len;
};

/* The inputs' region: offsets and lengths, then the bytes. */
struct inputs_head {
	uint64_t n;
	uint64_t entries[]; /* offset, length; offset, length; ... */
};

/* What the host works with: its plan and the round's region. */
struct host_ctx {
	const struct try_plan *plan;
	enum pt_kind kind;
	unsigned index;
	struct host_shared *sh;
	uint8_t *known;	   /* [n_inputs]: known to crash (thread rounds) */
	uint32_t *runs;	   /* [n_inputs]: written by the host */
	uint32_t *crashes; /* [n_inputs] */
};

struct in_flight {
	pt_future *future;
	size_t input;
};

/* PSS of pid (0: this process) in bytes, or -1 when it cannot be read. */
static double pss_bytes(int pid)
{
	char path[64], *text = NULL;
	uint64_t kib = 0;
	size_t len;
	bool found;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	if (procfs_read(AT_FDCWD, path, &text, &len))
		return -1;
	found = procfs_field_u64(text, "Pss", &kib);
	free(text);
	return found ? (double)kib * 1024 : -1;
}

/* --- the host ----------------------------------------------------------- */

static void tally(struct host_ctx *c, size_t input, const struct pt_result *r)
{
	struct host_shared *sh = c->sh;

	if (r->status >= 1 && r->status < TRY_OUTCOMES)
		sh->outcome[r->status]++;
	atomic_fetch_add_explicit(&sh->tasks, 1, memory_order_relaxed);
	c->runs[input]++;
	if (r->status == PT_TASK_CRASHED) {
		c->crashes[input]++;
		if (r->how == PT_EXIT_EXITED && !sh->crash_signal[0]++)
			sh->crash_exit_code = r->exit_code;
		else if (r->signal > 0 && r->signal < TRY_SIGNALS)
			sh->crash_signal[r->signal]++;
	}
	if (r->status == PT_TASK_FAILED && !sh->first_failed_code)
		sh->first_failed_code = r->error;
}

/* Submits the task of input to the pool that runs it: a thread round's
 * inputs known to crash go to the sacrificial process pool. */
static int submit(struct host_ctx *c, pt_pool *pool, pt_pool *sacrificial,
		  size_t input, pt_future **f)
{
	const struct try_input *in = &c->plan->inputs[input];

	if (sacrificial && c->known[input]) {
		c->sh->sacrificed++;
		pool = sacrificial;
	}
	return pt_pool_submit(pool, c->plan->fn, in->data, in->len, f);
}

/* Resolves the oldest task in flight. */
static void settle(struct host_ctx *c, struct in_flight *slot)
{
	struct pt_result r;

	if (pt_future_wait(slot->future, -1, &r) == 0)
		tally(c, slot->input, &r);
	pt_future_destroy(slot->future);
	slot->future = NULL;
}

/* The throughput phase: until tasks are done or the clock passes until_ns
 * (whichever the plan sets). Returns 0 or submit's error. */
static int window_phase(struct host_ctx *c, pt_pool *pool, pt_pool *sacr,
			uint64_t tasks, uint64_t until_ns, size_t *next_input)
{
	size_t width = (size_t)c->plan->workers * WINDOW_PER_WORKER;
	struct in_flight *ring = calloc(width, sizeof(*ring));
	uint64_t submitted = 0, resolved = 0, t0 = bench_now_ns();
	int rc = 0;

	if (!ring)
		return -ENOMEM;
	for (;;) {
		bool more =
			tasks ? submitted < tasks : bench_now_ns() < until_ns;
		struct in_flight *slot = &ring[submitted % width];

		if (!more)
			break;
		if (slot->future) {
			settle(c, slot);
			resolved++;
		}
		slot->input = *next_input;
		*next_input = (*next_input + 1) % c->plan->n_inputs;
		rc = submit(c, pool, sacr, slot->input, &slot->future);
		if (rc) {
			slot->future = NULL;
			break;
		}
		submitted++;
	}
	for (uint64_t i = 0; i < width; i++)
		if (ring[i].future) {
			settle(c, &ring[i]);
			resolved++;
		}
	c->sh->window_ns = bench_now_ns() - t0;
	c->sh->window_tasks = resolved;
	free(ring);
	return rc;
}

/* The latency phase: tasks one at a time. Returns 0 or submit's error. */
static int latency_phase(struct host_ctx *c, pt_pool *pool, pt_pool *sacr,
			 uint64_t tasks, uint64_t until_ns, size_t *next_input,
			 int *pids, size_t *n_pids)
{
	struct host_shared *sh = c->sh;

	for (uint64_t i = 0; tasks ? i < tasks : bench_now_ns() < until_ns;
	     i++) {
		size_t input = *next_input;
		struct pt_result r;
		pt_future *f;
		uint64_t t0 = bench_now_ns();
		int rc;

		if (sh->n_latency == TRY_LATENCY_MAX)
			break;
		*next_input = (*next_input + 1) % c->plan->n_inputs;
		rc = submit(c, pool, sacr, input, &f);
		if (rc)
			return rc;
		if (pt_future_wait(f, -1, &r) == 0) {
			uint64_t took = bench_now_ns() - t0;

			tally(c, input, &r);
			if (r.status == PT_TASK_OK ||
			    r.status == PT_TASK_FAILED)
				sh->latency_ns[sh->n_latency++] = took;
			if (*n_pids < 64 && r.worker_pid > 0 &&
			    (*n_pids == 0 || pids[*n_pids - 1] != r.worker_pid))
				pids[(*n_pids)++] = r.worker_pid;
		}
		pt_future_destroy(f);
	}
	return 0;
}

/* Process workers: the mean PSS of those that ran the latency phase and
 * still run. Thread workers: what the pool added to this process's PSS,
 * per worker. */
static double memory_per_worker(const struct host_ctx *c, double pss_before,
				const int *pids, size_t n_pids)
{
	double sum = 0, v;
	size_t n = 0;

	if (c->kind == PT_KIND_THREAD) {
		v = pss_bytes(0);
		if (v < 0 || pss_before < 0)
			return -1;
		return v > pss_before ? (v - pss_before) / c->plan->workers : 0;
	}
	for (size_t i = 0; i < n_pids; i++) {
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= pids[k] == pids[i];
		if (!seen && (v = pss_bytes(pids[i])) >= 0) {
			sum += v;
			n++;
		}
	}
	return n ? sum / (double)n : -1;
}

static bool any_known(const struct host_ctx *c)
{
	for (size_t i = 0; i < c->plan->n_inputs; i++)
		if (c->known[i])
			return true;
	return false;
}

static int run_host(struct host_ctx *c)
{
	const struct try_plan *p = c->plan;
	struct host_shared *sh = c->sh;
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = c->kind, .workers = p->workers,
			     .max_arg_bytes = p->arg_max,
			     .max_result_bytes = p->result_max,
			     .task_timeout_ms = p->timeout_ms,
			     .initializer = p->init,
			     .name = c->kind == PT_KIND_THREAD ? "try-thread"
							       : "try-process");
	pt_pool *pool = NULL, *sacr = NULL;
	uint64_t per_round = 0, latency_tasks = 0, t0 = 0, until = 0;
	size_t next_input = 0, n_pids = 0;
	double pss_before = c->kind == PT_KIND_THREAD ? pss_bytes(0) : -1;
	int pids[64], rc;

	if (p->tasks) {
		per_round = p->tasks / p->rounds +
			    (c->index < p->tasks % p->rounds ? 1 : 0);
		latency_tasks = per_round / LATENCY_SHARE;
	}
	t0 = bench_now_ns();
	rc = pt_pool_create(&opts, &pool);
	sh->start_ns = bench_now_ns() - t0;
	if (rc) {
		sh->create_error = rc;
		return 1;
	}
	if (c->kind == PT_KIND_THREAD && any_known(c)) {
		opts.kind = PT_KIND_PROCESS;
		opts.workers = 1;
		opts.name = "try-sacrifice";
		rc = pt_pool_create(&opts, &sacr);
		if (rc) {
			sh->create_error = rc;
			pt_pool_destroy(pool);
			return 1;
		}
	}
	if (!p->tasks)
		until = bench_now_ns() +
			(uint64_t)(p->time_s / p->rounds * 0.9e9);
	rc = window_phase(c, pool, sacr, per_round - latency_tasks, until,
			  &next_input);
	if (!p->tasks)
		until = bench_now_ns() +
			(uint64_t)(p->time_s / p->rounds * 0.1e9);
	if (!rc && (latency_tasks || !p->tasks))
		rc = latency_phase(c, pool, sacr, latency_tasks, until,
				   &next_input, pids, &n_pids);
	if (rc)
		sh->create_error = rc;
	sh->mem_per_worker = memory_per_worker(c, pss_before, pids, n_pids);
	atomic_store_explicit(&sh->done, 1, memory_order_release);
	pt_pool_destroy(sacr);
	pt_pool_destroy(pool);
	return 0;
}

static void input_arrays(struct host_ctx *c, void *base, size_t n_inputs);

/* The host's body: maps the regions, loads the library, and runs. The
 * host ends right after; what it maps and loads goes with it, but is
 * let go of all the same, so the tools that look for leaks see none. */
static int host_main(void *arg)
{
	const struct host_args *a = arg;
	struct try_plan plan = {
		.library = a->library,
		.symbol = a->symbol,
		.rounds = a->rounds,
		.workers = a->workers,
		.tasks = a->tasks,
		.time_s = a->time_s,
		.arg_max = a->arg_max,
		.result_max = a->result_max,
		.timeout_ms = a->timeout_ms,
		.n_inputs = a->n_inputs,
	};
	struct host_ctx c = { .plan = &plan,
			      .kind = a->kind,
			      .index = a->index };
	void *sh = mmap(NULL, a->round_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			a->round_fd, 0);
	void *in = mmap(NULL, a->inputs_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			a->inputs_fd, 0);
	void *handle = NULL;
	int rc = 2;

	if (sh == MAP_FAILED || in == MAP_FAILED)
		goto out;
	c.sh = sh;
	input_arrays(&c, sh, a->n_inputs);
	handle = dlopen(a->library, RTLD_NOW | RTLD_LOCAL);
	if (handle) {
		*(void **)&plan.fn = dlsym(handle, a->symbol);
		if (a->init_symbol[0])
			*(void **)&plan.init = dlsym(handle, a->init_symbol);
	}
	plan.inputs = calloc(a->n_inputs, sizeof(*plan.inputs));
	if (!handle || !plan.fn || (a->init_symbol[0] && !plan.init) ||
	    !plan.inputs) {
		c.sh->create_error = handle ? -ENOENT : -ELIBACC;
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < a->n_inputs; i++) {
		const struct inputs_head *head = in;

		plan.inputs[i].data =
			(unsigned char *)in + head->entries[2 * i];
		plan.inputs[i].len = head->entries[2 * i + 1];
	}
	rc = run_host(&c);
out:
	free(plan.inputs);
	if (handle)
		dlclose(handle);
	if (in != MAP_FAILED)
		munmap(in, a->inputs_len);
	if (sh != MAP_FAILED)
		munmap(sh, a->round_len);
	return rc;
}

/* --- the caller's side --------------------------------------------------- */

static size_t region_bytes(size_t n_inputs)
{
	return sizeof(struct host_shared) + n_inputs * (1 + 2 * 4) + 64;
}

static void input_arrays(struct host_ctx *c, void *base, size_t n_inputs)
{
	unsigned char *p = (unsigned char *)base + sizeof(struct host_shared);

	c->runs = (uint32_t *)(void *)p;
	c->crashes = c->runs + n_inputs;
	c->known = (uint8_t *)(c->crashes + n_inputs);
}

/* Waits for the host while it works, and ends it when it can no longer
 * finish: TRY_GRACE_MS after it said it is done, when its pools do not
 * shut down (a thread stuck in a task cannot be joined); or, with a task
 * deadline set, when no task resolved for two deadlines and the grace - a
 * thread pool whose every worker is stuck in a task past its deadline
 * runs nothing more, and the tasks queued behind never start, so never
 * time out. Without a deadline the host is waited for as long as it
 * takes: the user asked for that. */
static int await_host(pt_unit *host, struct host_shared *sh,
		      uint32_t timeout_ms, struct pt_status *st, bool *killed)
{
	uint64_t grace = TRY_GRACE_MS * 1000000ull;
	uint64_t stall = timeout_ms ? 2ull * timeout_ms * 1000000u + grace : 0;
	uint64_t done_at = 0, seen = 0, moved_at = bench_now_ns();
	int rc;

	for (;;) {
		uint64_t tasks, now;

		rc = pt_unit_join(host, JOIN_POLL_MS, st);
		if (rc != -ETIMEDOUT)
			return rc;
		now = bench_now_ns();
		tasks = atomic_load_explicit(&sh->tasks, memory_order_relaxed);
		if (tasks != seen) {
			seen = tasks;
			moved_at = now;
		}
		if (atomic_load_explicit(&sh->done, memory_order_acquire)) {
			if (!done_at)
				done_at = now;
			if (now - done_at <= grace)
				continue;
		} else if (!stall || now - moved_at <= stall) {
			continue;
		}
		if (!*killed)
			pt_unit_kill(host, SIGKILL);
		*killed = true;
	}
}

static void copy_round(const struct host_shared *sh, struct try_round *out)
{
	out->tasks = atomic_load(&sh->tasks);
	out->window_tasks = sh->window_tasks;
	out->window_ns = sh->window_ns;
	out->start_ns = sh->start_ns;
	out->mem_per_worker = sh->mem_per_worker;
	memcpy(out->outcome, sh->outcome, sizeof(out->outcome));
	memcpy(out->crash_signal, sh->crash_signal, sizeof(out->crash_signal));
	out->crash_exit_code = sh->crash_exit_code;
	out->first_failed_code = sh->first_failed_code;
	out->sacrificed = sh->sacrificed;
	out->create_error = sh->create_error;
}

static void host_args_fill(struct host_args *a, const struct try_plan *p,
			   enum pt_kind kind, unsigned index)
{
	snprintf(a->library, sizeof(a->library), "%s", p->library_path);
	snprintf(a->symbol, sizeof(a->symbol), "%s", p->symbol);
	if (p->init_symbol)
		snprintf(a->init_symbol, sizeof(a->init_symbol), "%s",
			 p->init_symbol);
	a->kind = kind;
	a->index = index;
	a->rounds = p->rounds;
	a->workers = p->workers;
	a->tasks = p->tasks;
	a->time_s = p->time_s;
	a->arg_max = p->arg_max;
	a->result_max = p->result_max;
	a->timeout_ms = p->timeout_ms;
	a->n_inputs = p->n_inputs;
}

int try_share_inputs(const struct try_plan *plan, pt_region **out)
{
	size_t head = sizeof(struct inputs_head) +
		      plan->n_inputs * 2 * sizeof(uint64_t);
	size_t len = head;
	struct inputs_head *in;
	int rc;

	for (size_t i = 0; i < plan->n_inputs; i++)
		len += plan->inputs[i].len;
	rc = pt_region_create(len, 0, out);
	if (rc)
		return rc;
	in = pt_region_addr(*out);
	in->n = plan->n_inputs;
	for (size_t i = 0, at = head; i < plan->n_inputs; i++) {
		in->entries[2 * i] = at;
		in->entries[2 * i + 1] = plan->inputs[i].len;
		memcpy((unsigned char *)in + at, plan->inputs[i].data,
		       plan->inputs[i].len);
		at += plan->inputs[i].len;
	}
	return 0;
}

int try_run_round(const struct try_plan *plan, enum pt_kind kind,
		  unsigned index, struct try_input_log *log,
		  struct try_round *out)
{
	struct host_ctx c = { .plan = plan, .kind = kind, .index = index };
	struct host_args *args = calloc(1, sizeof(*args));
	int fds[2];
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .name = kind == PT_KIND_THREAD ? "try-tpool"
							    : "try-ppool",
			     .arg_len = sizeof(*args), .pass_fds = fds,
			     .npass_fds = 2,
			     .process_group = PT_UNIT_GROUP_OWN);
	struct pt_status st;
	pt_region *region;
	pt_unit *host;
	bool killed = false;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->mem_per_worker = -1;
	if (!args)
		return -ENOMEM;
	rc = pt_region_create(region_bytes(plan->n_inputs), 0, &region);
	if (rc) {
		free(args);
		return rc;
	}
	c.sh = pt_region_addr(region);
	input_arrays(&c, c.sh, plan->n_inputs);
	for (size_t i = 0; kind == PT_KIND_THREAD && i < plan->n_inputs; i++)
		c.known[i] = log->runs[i] && log->crashes[i] == log->runs[i];
	fds[0] = pt_region_fd(region);
	fds[1] = pt_region_fd(log->inputs);
	host_args_fill(args, plan, kind, index);
	args->round_fd = fds[0];
	args->round_len = pt_region_len(region);
	args->inputs_fd = fds[1];
	args->inputs_len = pt_region_len(log->inputs);
	rc = pt_unit_spawn(&opts, host_main, args, &host);
	free(args);
	if (rc) {
		pt_region_destroy(region);
		return rc;
	}
	rc = await_host(host, c.sh, plan->timeout_ms, &st, &killed);
	pt_unit_destroy(host);
	if (rc) {
		pt_region_destroy(region);
		return rc;
	}
	copy_round(c.sh, out);
	out->ran = atomic_load(&c.sh->done) && !out->create_error;
	out->host_killed = killed;
	/* Ended before it finished, and not by returning (a pool it could
	 * not create): a task crashed it or called exit(). */
	out->host_died = !killed && !atomic_load(&c.sh->done) &&
			 st.how != PT_EXIT_RETURNED;
	out->host_stalled = killed && !atomic_load(&c.sh->done);
	out->host_signal = out->host_died ? st.signal : 0;
	out->host_exit_code = out->host_died ? st.code : 0;
	out->user_ns = st.usage.user_ns;
	out->sys_ns = st.usage.system_ns;
	if (c.sh->n_latency) {
		out->latency_ns = malloc(c.sh->n_latency * sizeof(double));
		if (!out->latency_ns) {
			pt_region_destroy(region);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < c.sh->n_latency; i++)
			out->latency_ns[i] = (double)c.sh->latency_ns[i];
		out->n_latency = c.sh->n_latency;
	}
	for (size_t i = 0; kind == PT_KIND_PROCESS && i < plan->n_inputs; i++) {
		log->runs[i] += c.runs[i];
		log->crashes[i] += c.crashes[i];
	}
	pt_region_destroy(region);
	return 0;
}

void try_round_free(struct try_round *round)
{
	free(round->latency_ns);
	round->latency_ns = NULL;
	round->n_latency = 0;
}
