/* engine.h - starting the benchmark engine: what `procthread bench` fills
 * in and calls. Suites see bench/bench.h instead. */
#ifndef PT_BENCH_ENGINE_H
#define PT_BENCH_ENGINE_H

#include "bench/bench.h"

#include <signal.h>

enum pt_bench_pin { PT_BENCH_PIN_AUTO, PT_BENCH_PIN_NONE, PT_BENCH_PIN_LIST };

/* Peers: by default they run with the default set of suites and not when
 * suites are named; --peers and --no-peers decide otherwise. */
enum pt_bench_peers {
	PT_BENCH_PEERS_DEFAULT,
	PT_BENCH_PEERS_ON,
	PT_BENCH_PEERS_OFF,
};

struct pt_bench_opts {
	enum pt_bench_profile profile;
	unsigned runs;	   /* 0: the profile's */
	unsigned rounds;   /* 0: the profile's (bench/rounds.c) */
	double min_time_s; /* < 0: the profile's (0 with --runs) */
	enum pt_bench_pin pin;
	int pin_cpus[2]; /* PT_BENCH_PIN_LIST: side A, side B (-1: none) */
	const char *pin_text;
	enum pt_bench_peers peers;
	const struct pt_bench_suite *const *suites; /* NULL: the defaults */
	size_t n_suites;
	bool progress; /* a progress line on stderr */
	bool quiet;    /* no notes on stderr either */
};

/* The largest --runs and --rounds accepted. */
#define PT_BENCH_RUNS_MAX   100000u
#define PT_BENCH_ROUNDS_MAX 100u

/* Parses --pin's value: "auto", "none", or one or two CPU numbers ("0",
 * "0,1") that this process may run on. Returns 0, or -EINVAL with a
 * message in err. */
int pt_bench_parse_pin(const char *text, struct pt_bench_opts *opts, char *err,
		       size_t err_len);

/* Where the run is, for a signal handler (cli/bench_signal.c) to say what
 * was interrupted: the round under way (from 1), of how many, and the
 * suite's name; all zero before the first suite starts. Plain words,
 * written by the engine before each suite's round. */
struct pt_bench_position {
	volatile sig_atomic_t round, rounds;
	const char *volatile suite;
};
extern struct pt_bench_position pt_bench_position;

/* Captures the environment, runs the suites and fills *out (initialised
 * here; the caller frees it with pt_results_free()). Returns 0 when every
 * case ran, 1 when some failed (noted in out->notes), or -errno when the
 * run could not start. */
int pt_bench_run(const struct pt_bench_opts *opts, struct pt_results *out);

/* The head of a results document any command fills (bench, try): the
 * tool, the start time, the machine and its clock. Returns 0 or -ENOMEM.
 * _end adds the finish time and the load at the end. */
int pt_bench_results_begin(struct pt_results *res);
void pt_bench_results_end(struct pt_results *res);

/* Fills the machine description (env.c); end_of_run only updates the
 * load average at the end. */
void pt_bench_env_capture(struct pt_machine *machine);
void pt_bench_env_finish(struct pt_machine *machine);

/* Measures the cost of one clock read and the clock's resolution. */
void pt_bench_clock_calibrate(double *cost_ns, double *resolution_ns);

#endif
