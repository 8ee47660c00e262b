/* control.h - what the control demo's report (control.c) shares
 * with its experiments (control_ops.c). */
#ifndef TOOL_DEMO_CONTROL_H
#define TOOL_DEMO_CONTROL_H

#include "demo/demo.h"

#include <procthread/unit.h>

#define CTL_UNITS	    3 /* busy units in the SIGSTOP experiment */
#define CTL_MAX_UNITS	    3
#define CTL_WINDOW_MS	    200 /* how long progress is watched */
#define CTL_NICE	    10
#define CTL_NICE_WINDOW_MS  400
#define CTL_LIMIT_FDS	    16 /* RLIMIT_NOFILE given to one unit */
#define CTL_TRY_FDS	    64 /* descriptors each unit tries to open */
#define CTL_GATE_TIMEOUT_MS 30000

struct ctl_shared;

struct ctl_arg {
	struct ctl_shared *sh;
	int index;
};

/* Shared by the demo, its process units and the threads of its container
 * process: made with demo_share() before any of them starts. */
struct ctl_shared {
	struct demo_gate gate;
	_Alignas(64) atomic_int stop;
	_Alignas(64) atomic_int tid[CTL_MAX_UNITS];
	struct {
		_Alignas(64) atomic_ullong count;
	} work[CTL_MAX_UNITS];
	_Alignas(64) int units;
	pt_unit_fn *fn; /* what each unit runs: the same in every process */
	uint64_t cpu_mask;
	struct ctl_arg arg[CTL_MAX_UNITS];
	int spawn_error;    /* the container could not start a thread */
	int thread_kill_rc; /* pt_unit_kill() on a thread unit */
	atomic_int turn;    /* the limit experiment's units go one by one */
	int opened[CTL_MAX_UNITS];
	long soft[CTL_MAX_UNITS];
	long container_soft; /* the container's limit after its threads */
};

struct stop_result {
	uint64_t work_stopped[CTL_UNITS]; /* during the window */
	char state[CTL_UNITS];		  /* from /proc, while stopped */
	uint64_t work_after_cont;	  /* of the stopped unit */
	int kill_rc; /* threads: what pt_unit_kill() said */
};

struct nice_result {
	uint64_t cpu_ns[2]; /* during the window */
	long nice[2];	    /* from /proc, during the window */
	long main_nice;	    /* threads: their process's main thread */
	double share_niced;
};

struct limit_result {
	int opened[2];
	long soft[2];	   /* RLIMIT_NOFILE each unit saw */
	long process_soft; /* processes: this tool's; threads: theirs */
};

struct control_result {
	struct stop_result stop[2]; /* [0] processes, [1] threads */
	int cpu;
	struct nice_result nice[2];
	struct limit_result limit[2];
};

/* Starts n units running fn(&sh->arg[i]): n process units, or (kind
 * PT_KIND_THREAD) one process unit whose n threads run it; units[0] is then
 * that process. Waits until all n arrived at sh->gate. Returns 0 or
 * -errno; on failure the caller still calls demo_ctl_finish(). */
int demo_ctl_start(struct ctl_shared *sh, enum pt_kind kind, pt_unit_fn *fn,
		   int n, uint64_t cpu_mask, pt_unit **units);
/* Sets stop, opens the gate, and joins every unit (killing them first
 * when kill is set). */
void demo_ctl_finish(struct ctl_shared *sh, pt_unit **units, bool kill);
/* The tid of unit i and, in *pid, the process it belongs to. */
int demo_ctl_task_of(const struct ctl_shared *sh, enum pt_kind kind,
		     pt_unit **units, int i, int *pid);

/* The experiments: each prints why it failed and returns 1, or 0. */
int demo_ctl_run_stop(enum pt_kind kind, struct stop_result *r);
int demo_ctl_pick_cpu(int *cpu);
int demo_ctl_run_nice(enum pt_kind kind, int cpu, struct nice_result *r);
int demo_ctl_run_limit(enum pt_kind kind, struct limit_result *r);

#endif
