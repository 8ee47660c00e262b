/* try.h - `procthread try`: the user's own task, run as a thread pool and
 * as a process pool side by side, and the verdict.
 *
 * Three files: try.c reads the command line, loads the library and the
 * inputs and prints; run.c runs one round of one kind in a host
 * process of its own and brings back what happened; verdict.c turns
 * the rounds into figures, records and the verdict.
 *
 * Why a host process per round: a task that crashes a thread pool takes
 * its whole process down, and `try` must live to say so; a thread stuck in
 * a task past its deadline cannot be stopped, only its process can be
 * ended; and the host's CPU time, read from wait4() when it is reaped,
 * takes in the worker processes it reaped itself, so both kinds are
 * charged for the same things: submitting, running and collecting. The
 * hosts come from the fork-server, started before the library is loaded
 * (run.c says why). */
#ifndef TOOL_TRY_TRY_H
#define TOOL_TRY_TRY_H

#include "cli/cli.h"

#include "results/results.h"
#include "term/term.h"

#include <procthread/pool.h>
#include <procthread/region.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRY_INPUTS_MAX	4096 /* files of --args DIR */
#define TRY_LATENCY_MAX 4096 /* one-at-a-time tasks a round times */
#define TRY_ROUNDS_MAX	100
#define TRY_WORKERS_MAX 1024
#define TRY_GRACE_MS	2000 /* a host's pool may take to shut down */
#define TRY_OUTCOMES	(PT_TASK_INIT_FAILED + 1)
#define TRY_SIGNALS	65
#define TRY_SYMBOL_MAX	256 /* bytes of a symbol name, its NUL included */

struct try_input {
	char *name; /* the file's name, or "generated" */
	unsigned char *data;
	size_t len;
};

/* What to run: filled by try.c from the command line. */
struct try_plan {
	const char *library;	  /* as given */
	const char *library_path; /* absolute, for the hosts */
	const char *symbol;
	const char *init_symbol; /* NULL: none */
	void *handle;		 /* dlopen()'s */
	pt_task_fn *fn;		 /* found by each host, not here */
	pt_pool_init_fn *init;
	struct try_input *inputs;
	size_t n_inputs;
	char *inputs_text; /* "20 files of DIR (1.2 KiB to 64 KiB)" */
	uint64_t tasks;	   /* per kind; 0 in --time mode */
	double time_s;	   /* per kind; 0 in --tasks mode */
	unsigned rounds;
	unsigned workers;
	size_t arg_max;
	size_t result_max;
	uint32_t timeout_ms;
};

/* What one round of one kind brought back. */
struct try_round {
	enum pt_kind kind;
	bool ran;	    /* the host finished its tasks */
	bool host_died;	    /* it ended without finishing: a task took the
			       thread pool's process down */
	int host_signal;    /* the signal that ended it, or 0 */
	int host_exit_code; /* or the code it exited with */
	bool host_killed;   /* ended by us: its pool would not shut down */
	bool host_stalled;  /* ended by us before it finished: every
			       thread worker was stuck in a task */
	int create_error;   /* pt_pool_create() failed: -errno */
	uint64_t tasks;	    /* resolved tasks, every outcome */
	uint64_t window_tasks;
	uint64_t window_ns; /* the throughput phase */
	uint64_t start_ns;  /* pt_pool_create() */
	uint64_t user_ns, sys_ns;
	double mem_per_worker; /* bytes of PSS; < 0 when not read */
	uint64_t outcome[TRY_OUTCOMES];
	uint64_t crash_signal[TRY_SIGNALS]; /* tasks that crashed their worker,
					       by signal; [0]: by exit() */
	int crash_exit_code;		    /* the first such exit's code */
	int first_failed_code;
	uint64_t sacrificed; /* thread rounds: tasks of inputs known to
				crash, run in a sacrificial process */
	double *latency_ns;
	size_t n_latency;
};

/* What the rounds carry from one to the next: the inputs, shared with
 * every host (try_share_inputs()); and per input, over the process rounds
 * so far, how often it ran and how often it crashed its worker. An input
 * that crashed every time it ran is "known to crash"; a thread round runs
 * it in a sacrificial process. */
struct try_input_log {
	pt_region *inputs;
	uint32_t *runs;
	uint32_t *crashes;
};

/* Copies the plan's inputs into a new region for the hosts. Returns 0 or
 * -errno; the caller destroys *out. (run.c) */
int try_share_inputs(const struct try_plan *plan, pt_region **out);

/* Runs round number index (from 0) of kind with the plan; fills *out
 * (free with try_round_free()). Returns 0, or -errno when the round could
 * not be started at all. (run.c) */
int try_run_round(const struct try_plan *plan, enum pt_kind kind,
		  unsigned index, struct try_input_log *log,
		  struct try_round *out);
void try_round_free(struct try_round *round);

/* Everything the run measured, per kind (0: thread, 1: process). */
struct try_run {
	struct try_round *rounds[2];
	size_t n_rounds[2];
};

/* The figures and the verdict, printed for term (verdict.c). */
void try_print(const struct try_plan *plan, const struct try_run *run,
	       const struct term *term, FILE *out);

/* The run as results of suite "try" (docs/results-schema.md): appends the
 * records and the verdict as a note. Returns 0 or -ENOMEM. */
int try_results(const struct try_plan *plan, const struct try_run *run,
		struct results *res);

/* The command, listed in the table of main/commands.c. */
extern const struct cli_command cli_try;

#endif
