/* scheduling.c - the kernel schedules threads, each on its own.
 *
 * Four thread units of this process each use a different, known amount of
 * CPU time (spinning on their own CPU clock), then wait at a gate so the
 * demo can read the kernel's record of each while it still exists:
 * /proc/self/task/<tid>/stat (state, CPU time, last CPU) and status (the
 * thread group, context switches). The process's own stat shows their sum.
 * The wall time of the whole run against the CPU time used tells how many
 * CPUs ran the threads at once.
 */
#include "demo/demo.h"
#include "procfs/procfs.h"

#include <procthread.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SCHED_THREADS	4
#define SCHED_STEP_MS	60 /* thread i uses (i + 1) * SCHED_STEP_MS */
#define GATE_TIMEOUT_MS 60000

struct sched_shared {
	struct demo_gate gate;
	_Alignas(64) atomic_int tid[SCHED_THREADS];
	/* Each thread's own CPU count as it reached the gate: /proc is read
	 * while it waits there, so the two differ only by /proc's rounding
	 * (its user and system times are each cut to a tick), not by what
	 * the thread spends after the read - under ASan on a busy machine,
	 * counted at the thread's end, that pushed the difference past two
	 * ticks. */
	uint64_t rusage_ns[SCHED_THREADS];
};

struct worker_arg {
	struct sched_shared *sh;
	int index;
};

/* The kernel's record of one thread. */
struct task_view {
	struct procfs_thread task;
	uint64_t asked_ns;  /* 0 for the main thread */
	uint64_t rusage_ns; /* the thread's own count (RUSAGE_THREAD) at the
			     * gate */
};

struct sched_result {
	int pid;
	struct task_view main;
	struct task_view worker[SCHED_THREADS];
	uint64_t process_cpu_ns;
	uint64_t wall_ns;
	long cpus_online;
};

static int burn(void *p)
{
	struct worker_arg *arg = p;
	struct rusage ru;

	atomic_store(&arg->sh->tid[arg->index], gettid());
	demo_spin_cpu_ns((uint64_t)(arg->index + 1) * SCHED_STEP_MS * 1000000u);
	if (getrusage(RUSAGE_THREAD, &ru) == 0)
		arg->sh->rusage_ns[arg->index] =
			((uint64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
				1000000000u +
			((uint64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) *
				1000u;
	demo_gate_arrive(&arg->sh->gate);
	return demo_gate_pass(&arg->sh->gate, GATE_TIMEOUT_MS) ? 0 : 1;
}

static int read_task(int tid, struct task_view *v)
{
	int taskfd =
		open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (taskfd < 0)
		return -errno;
	rc = procfs_thread(taskfd, tid, &v->task);
	close(taskfd);
	return rc;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "procthread demo scheduling: %s: %s\n", what,
		pt_strerror(err));
	return 1;
}

/* The CPU time the process and its main thread have used so far: the
 * figures shown are what they used during the demo, whatever ran before
 * it in this process (other demos, with `demo all`). */
static int cpu_so_far(uint64_t *process_ns, uint64_t *main_ns)
{
	struct procfs_stat st;
	struct task_view main_view = { 0 };
	int rc = procfs_stat(AT_FDCWD, "/proc/self/stat", &st);

	if (!rc)
		rc = read_task(gettid(), &main_view);
	if (rc)
		return fail("read /proc/self", rc);
	*process_ns = procfs_cpu_ns(&st);
	*main_ns = main_view.task.cpu_ns;
	return 0;
}

static int observe(struct sched_shared *sh, struct sched_result *r,
		   uint64_t process0_ns, uint64_t main0_ns)
{
	struct procfs_stat st;
	int rc;

	for (int i = 0; i < SCHED_THREADS; i++) {
		rc = read_task(atomic_load(&sh->tid[i]), &r->worker[i]);
		if (rc)
			return fail("read a thread's /proc", rc);
		r->worker[i].asked_ns =
			(uint64_t)(i + 1) * SCHED_STEP_MS * 1000000u;
	}
	rc = read_task(gettid(), &r->main);
	if (rc)
		return fail("read the main thread's /proc", rc);
	rc = procfs_stat(AT_FDCWD, "/proc/self/stat", &st);
	if (rc)
		return fail("read /proc/self/stat", rc);
	r->process_cpu_ns = procfs_cpu_ns(&st) - process0_ns;
	r->main.task.cpu_ns -= main0_ns;
	return 0;
}

static int run(struct sched_result *r)
{
	struct sched_shared *sh = demo_share(sizeof(*sh));
	struct worker_arg args[SCHED_THREADS];
	pt_unit *units[SCHED_THREADS] = { 0 };
	struct pt_status st[SCHED_THREADS];
	uint64_t start, process0_ns, main0_ns;
	int rc = 1, err;

	if (!sh)
		return fail("memory", -ENOMEM);
	r->pid = getpid();
	r->cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpu_so_far(&process0_ns, &main0_ns))
		goto out;
	start = demo_now_ns();
	for (int i = 0; i < SCHED_THREADS; i++) {
		char name[16];
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_THREAD, .name = name);

		snprintf(name, sizeof(name), "pt-sched-%d", i);
		args[i] = (struct worker_arg){ .sh = sh, .index = i };
		err = pt_unit_spawn(&opts, burn, &args[i], &units[i]);
		if (err) {
			fail("create a thread", err);
			goto out;
		}
	}
	err = demo_gate_await(&sh->gate, SCHED_THREADS, GATE_TIMEOUT_MS);
	if (err) {
		fail("waiting for the threads", err);
		goto out;
	}
	r->wall_ns = demo_now_ns() - start;
	rc = observe(sh, r, process0_ns, main0_ns);
out:
	demo_gate_open(&sh->gate);
	demo_join_all(units, SCHED_THREADS, st);
	for (int i = 0; i < SCHED_THREADS && !rc; i++)
		r->worker[i].rusage_ns = sh->rusage_ns[i];
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

/* The workers' CPU time, from /proc (own == false, tick-rounded) or from
 * their own clocks. */
static uint64_t workers_cpu_ns(const struct sched_result *r, bool own)
{
	uint64_t sum = 0;

	for (int i = 0; i < SCHED_THREADS; i++)
		sum += own ? r->worker[i].rusage_ns : r->worker[i].task.cpu_ns;
	return sum;
}

static json_t *task_json(const struct task_view *v)
{
	return json_pack(
		"{s:i, s:i, s:s, s:s#, s:f, s:f, s:f, s:i, s:I, s:I}", "tid",
		v->task.tid, "pid", v->task.tgid, "name", v->task.name, "state",
		&v->task.state, (size_t)1, "cpu_asked_ms", demo_ms(v->asked_ns),
		"cpu_proc_ms", demo_ms(v->task.cpu_ns), "cpu_rusage_ms",
		demo_ms(v->rusage_ns), "last_cpu", v->task.last_cpu,
		"voluntary_switches", (json_int_t)v->task.voluntary,
		"involuntary_switches", (json_int_t)v->task.involuntary);
}

static void print_text(const struct demo_ctx *ctx, const struct sched_result *r)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *n = demo_plain(ctx);
	uint64_t sum = workers_cpu_ns(r, false), own = workers_cpu_ns(r, true);
	double at_once = r->wall_ns ? (double)own / (double)r->wall_ns : 0;
	char text[512];

	fprintf(out,
		"%sscheduling%s: each thread is scheduled on its own, inside "
		"one process (pid %d)\n\n",
		b, n, r->pid);
	fprintf(out,
		"%d threads of this process each use a different amount of "
		"CPU, then wait.\nThe kernel's record of each, from "
		"/proc/%d/task/<tid>/stat and status:\n\n",
		SCHED_THREADS, r->pid);
	fprintf(out, "%-11s %-7s %-7s %-5s %-9s %-7s %-9s %-4s %s\n", "thread",
		"tid", "pid", "state", "CPU asked", "/proc", "own clock", "CPU",
		"switches");
	for (int i = -1; i < SCHED_THREADS; i++) {
		const struct task_view *v = i < 0 ? &r->main : &r->worker[i];
		char asked[16] = "-", used[16], mine[16] = "-", sw[32];

		if (v->asked_ns) {
			snprintf(asked, sizeof(asked), "%.0f ms",
				 demo_ms(v->asked_ns));
			snprintf(mine, sizeof(mine), "%.0f ms",
				 demo_ms(v->rusage_ns));
		}
		snprintf(used, sizeof(used), "%.0f ms",
			 demo_ms(v->task.cpu_ns));
		snprintf(sw, sizeof(sw), "%" PRIu64 " / %" PRIu64,
			 v->task.voluntary, v->task.involuntary);
		fprintf(out, "%-11s %-7d %-7d %-5c %-9s %-7s %-9s %-4d %s\n",
			i < 0 ? "(main)" : v->task.name, v->task.tid,
			v->task.tgid, v->task.state, asked, used, mine,
			v->task.last_cpu, sw);
	}
	fprintf(out,
		"\n(/proc: utime + stime of the thread's stat, in %ld ms "
		"ticks rounded down;\nown clock: what the thread measured "
		"itself (RUSAGE_THREAD); CPU: where it last\nran; "
		"switches: voluntary / involuntary context switches.)\n",
		1000 / (sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100));
	snprintf(text, sizeof(text),
		 "During the demo the process as a whole (/proc/%d/stat) used "
		 "%.0f ms of CPU; its threads' rounded sum: %.0f ms. The %d "
		 "threads used %.0f ms of CPU in %.0f ms of wall time: %.1f "
		 "CPUs at once (this machine has %ld).",
		 r->pid, demo_ms(r->process_cpu_ns),
		 demo_ms(sum + r->main.task.cpu_ns), SCHED_THREADS,
		 demo_ms(own), demo_ms(r->wall_ns), at_once, r->cpus_online);
	fputc('\n', out);
	demo_wrap(out, 0, 0, text);
	demo_conclude(ctx, "every thread has its own id, state, CPU time "
			   "and CPU, all under one pid: the kernel "
			   "schedules threads, and a process's CPU time is "
			   "the sum of its threads'.");
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct sched_result r = { 0 };
	json_t *threads;

	if (run(&r))
		return 1;
	if (!ctx->json) {
		print_text(ctx, &r);
		return 0;
	}
	threads = json_array();
	for (int i = 0; i < SCHED_THREADS; i++)
		json_array_append_new(threads, task_json(&r.worker[i]));
	json_object_set_new(facts, "pid", json_integer(r.pid));
	json_object_set_new(facts, "main", task_json(&r.main));
	json_object_set_new(facts, "threads", threads);
	json_object_set_new(facts, "process_cpu_ms",
			    json_real(demo_ms(r.process_cpu_ns)));
	json_object_set_new(facts, "threads_cpu_ms",
			    json_real(demo_ms(workers_cpu_ns(&r, false))));
	json_object_set_new(facts, "threads_own_cpu_ms",
			    json_real(demo_ms(workers_cpu_ns(&r, true))));
	json_object_set_new(facts, "wall_ms", json_real(demo_ms(r.wall_ns)));
	json_object_set_new(facts, "cpus_online", json_integer(r.cpus_online));
	return 0;
}

const struct demo demo_scheduling = {
	.name = "scheduling",
	.summary = "each thread is scheduled on its own, inside one process",
	.run = run_demo,
};
