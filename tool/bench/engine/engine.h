/* engine.h - starting the benchmark engine: what `procthread bench` fills
 * in and calls. Suites see bench/engine/bench.h instead. */
#ifndef TOOL_BENCH_ENGINE_ENGINE_H
#define TOOL_BENCH_ENGINE_ENGINE_H

#include "bench/engine/bench.h"

#include <signal.h>

enum bench_pin { BENCH_PIN_AUTO, BENCH_PIN_NONE, BENCH_PIN_LIST };

/* Peers: by default they run with the default set of suites and not when
 * suites are named; --peers and --no-peers decide otherwise. */
enum bench_peers {
	BENCH_PEERS_DEFAULT,
	BENCH_PEERS_ON,
	BENCH_PEERS_OFF,
};

struct bench_opts {
	enum bench_profile profile;
	unsigned runs;	   /* 0: the profile's */
	unsigned rounds;   /* 0: the profile's (bench/engine/rounds.c) */
	double min_time_s; /* < 0: the profile's (0 with --runs) */
	enum bench_pin pin;
	int pin_cpus[2]; /* BENCH_PIN_LIST: side A, side B (-1: none) */
	const char *pin_text;
	enum bench_peers peers;
	/* The suites to run: suites[0..n_suites), or when suites is NULL the
	 * default ones of table, a NULL-ended list (bench/suites/suites.h) -
	 * the engine knows no suite by name. */
	const struct bench_suite *const *table;
	const struct bench_suite *const *suites;
	size_t n_suites;
	bool progress; /* a progress line on stderr */
	bool quiet;    /* no notes on stderr either */
};

/* The largest --runs and --rounds accepted. */
#define BENCH_RUNS_MAX	 100000u
#define BENCH_ROUNDS_MAX 100u

/* Parses --pin's value: "auto", "none", or one or two CPU numbers ("0",
 * "0,1") that this process may run on. Returns 0, or -EINVAL with a
 * message in err. */
int bench_parse_pin(const char *text, struct bench_opts *opts, char *err,
		    size_t err_len);

/* Where the run is, for a signal handler (cli/bench_signal.c) to say what
 * was interrupted: the round under way (from 1), of how many, the suite's
 * name, and the case being measured ("restart (process)", what_len bytes
 * of what; 0 between cases); all zero before the first suite starts. Plain
 * words, written by the engine before each suite's round and each case;
 * the case's own copy, as its name may live on a suite's stack. */
struct bench_position {
	volatile sig_atomic_t round, rounds;
	const char *volatile suite;
	char what[96];
	volatile sig_atomic_t what_len;
};
extern struct bench_position bench_position;

/* Captures the environment, runs the suites and fills *out (initialised
 * here; the caller frees it with results_free()). Returns 0 when every
 * case ran, 1 when some failed (noted in out->notes), or -errno when the
 * run could not start. */
int bench_run(const struct bench_opts *opts, struct results *out);

/* The head of a results document any command fills (bench, try): the
 * tool, the start time, the machine and its clock. Returns 0 or -ENOMEM.
 * _end adds the finish time and the load at the end. */
int bench_results_begin(struct results *res);
void bench_results_end(struct results *res);

/* Fills the machine description (env.c); end_of_run only updates the
 * load average at the end. */
void bench_env_capture(struct results_machine *machine);
void bench_env_finish(struct results_machine *machine);

/* Measures the cost of one clock read and the clock's resolution. */
void bench_clock_calibrate(double *cost_ns, double *resolution_ns);

#endif
