/* results.h - one benchmark run in memory: what the engine (bench/) builds,
 * what the writers (table, JSON, CSV) print and what the JSON reader parses
 * back. docs/results-schema.md describes the same thing as a file.
 *
 * Everything a struct points to is owned by it and freed by
 * results_free(); strings are NUL-terminated copies. None of this is
 * thread-safe: one thread builds or reads a struct results.
 */
#ifndef TOOL_RESULTS_RESULTS_H
#define TOOL_RESULTS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESULTS_SCHEMA "procthread-results/2"
/* The oldest schema the reader still reads: version 1 had no raw samples
 * and no CPU time, and is otherwise the same. */
#define RESULTS_SCHEMA_V1 "procthread-results/1"

/* The statistics of one case (bench/engine/stats.c computes them). ci_low and
 * ci_high bound the median with 95% confidence; outliers are the samples
 * beyond 1.5 interquartile ranges from the quartiles, counted, not
 * dropped. */
struct stats {
	size_t samples;
	double min, median, p90, p99, max, mean, stddev;
	double p1; /* the slow end of a rate; 0 in files before it */
	double ci_low, ci_high;
	size_t outliers;
};

/* What one operation cost the CPU over a timed case's sampled loop (the
 * warm-up left out), from getrusage(RUSAGE_SELF) plus
 * getrusage(RUSAGE_CHILDREN) taken around it: the benchmark's own threads,
 * and children it reaped in the loop. Process units come from the
 * fork-server and are its children, not ours, so a process case's figure
 * is the parent's side only (docs/results-schema.md). */
struct results_cpu {
	bool measured; /* false: the case could not measure it */
	double user_ns, sys_ns;
	double voluntary_csw, involuntary_csw; /* context switches */
};

/* A parameter of a case: an integer, a real number or a string. */
enum param_type { PARAM_INT, PARAM_REAL, PARAM_STR };

struct param {
	char *key;
	enum param_type type;
	long long i; /* PARAM_INT */
	double real; /* PARAM_REAL */
	char *str;   /* PARAM_STR */
};

/* One measured case. Records are the same case when suite, name, kind, peer
 * and every parameter agree; a thread record and a process record that
 * agree on all but kind are a pair (the table shows their ratio). A peer
 * record carries the parameters of the case of ours it stands beside. */
/* Which way a record's figure is better: said by the case that made it,
 * or (files that do not say, and cases that leave it) by its unit -
 * higher for rates ("/s"), lower for everything else. */
enum record_better {
	RECORD_BETTER_BY_UNIT = 0,
	RECORD_BETTER_HIGHER,
	RECORD_BETTER_LOWER,
};

struct record {
	char *suite;
	char *name;
	char *kind; /* "thread", "process" or "none" */
	char *unit; /* "ns", "bytes", "ops/s", ... */
	char *peer; /* NULL: procthread's own figure; else the tool's name */
	struct param *params;
	size_t n_params;
	struct stats stats;
	uint64_t batch; /* operations per timed sample; 0: not timed */
	/* The samples themselves, in unit, in the order taken (rounds one
	 * after another); n_raw == stats.samples, or NULL and 0 when not
	 * kept (a file of schema 1). */
	double *raw;
	size_t n_raw;
	struct results_cpu cpu;
	enum record_better better;
};

struct results_machine {
	char *kernel; /* uname release and version */
	char *arch;
	char *cpu_model;
	long cpus_online;
	long cpus_allowed; /* in this process's affinity mask */
	uint64_t memory_bytes;
	bool virtualised;
	char *hypervisor; /* "kvm", ...; "none" on bare metal */
	char *clocksource;
	char *thp; /* transparent huge pages: always, madvise or never */
	double loadavg_start[3];
	double loadavg_end[3];
	bool busy;	      /* 1-minute load above 0.5 per CPU at the start */
	double clock_cost_ns; /* one clock_gettime(CLOCK_MONOTONIC) */
	double clock_resolution_ns; /* smallest step seen */
};

struct results_config {
	char *profile;	 /* "quick", "default" or "full" */
	char *pin;	 /* "auto", "none" or the list given */
	int cpus[2];	 /* CPUs of side A and side B; -1: not pinned */
	unsigned runs;	 /* samples per case, at least */
	unsigned rounds; /* the suites ran this many times, sharing them */
	double min_time_s;
	double warmup_s;
	bool peers;
	char **suites;
	size_t n_suites;
};

struct results {
	char *tool_name;
	char *tool_version;
	char *tool_build;
	char *started_at; /* ISO 8601, UTC */
	char *finished_at;
	struct results_machine machine;
	struct results_config config;
	char **notes; /* skipped peers, failures, the busy warning */
	size_t n_notes;
	struct record *records;
	size_t n_records;
	size_t cap_records;
};

/* Zeroes *results (an empty run of one round). */
void results_init(struct results *results);

/* Frees all a struct results owns and zeroes it. NULL does nothing. */
void results_free(struct results *results);

/* Appends a deep copy of *rec. Returns 0 or -ENOMEM. */
int results_add(struct results *results, const struct record *rec);

/* Frees what a record points to and zeroes it. */
void record_clear(struct record *rec);

/* Appends a note (printf format). Returns 0 or -ENOMEM. */
int results_note(struct results *results, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends a copy of s to a string list. Returns 0 or -ENOMEM. */
int results_strv_push(char ***list, size_t *n, const char *s);

/* The parameter named key, or NULL. */
const struct param *record_param(const struct record *rec, const char *key);

/* True when a and b are the same case (see struct record), apart from
 * kind when ignore_kind is set, and apart from peer when ignore_peer is. */
bool record_same_case(const struct record *a, const struct record *b,
		      bool ignore_kind, bool ignore_peer);

/* Formats a parameter's value ("64", "0.5", "shm"). Returns snprintf's. */
int param_format(const struct param *param, char *buf, size_t len);

/* Copies a string; NULL stays NULL. Returns NULL when out of memory. */
char *results_strdup_or_null(const char *s);

/* --- grouping (grouping.c): O(n log n), so a report of 40,000 records takes
 * a second, not minutes. ------------------------------------------------ */

#define RESULTS_NO_RECORD ((size_t)-1)

/* What a record key holds besides suite, name and the kept parameters. */
#define RESULTS_KEY_KIND 1u
#define RESULTS_KEY_PEER 2u
#define RESULTS_KEY_UNIT 4u

/* Whether a parameter takes part in a key; ctx is the caller's. */
typedef bool param_filter(const struct param *p, const void *ctx);

/* A string equal for two records exactly when they have the same suite and
 * name, the same fields, and the same kept parameters (keep NULL: all),
 * numbers compared as doubles. Returns a malloc'd string, or NULL when out
 * of memory. */
char *record_key(const struct record *rec, unsigned fields, param_filter *keep,
		 const void *ctx);

/* Groups n items by equal keys: group_of[i] is item i's group, numbered in
 * the order of each group's first item. Returns 0 and sets *n_groups, or
 * -ENOMEM. */
int group_by_key(char *const *keys, size_t n, size_t *group_of,
		 size_t *n_groups);

/* The same for records res->records[recs[i]] (recs NULL: all n records)
 * keyed by record_key(). Returns 0 or -ENOMEM. */
int group_records(const struct results *res, const size_t *recs, size_t n,
		  unsigned fields, param_filter *keep, const void *ctx,
		  size_t *group_of, size_t *n_groups);

/* For every record i (arrays of res->n_records): pair_of[i], the first
 * thread record of ours that is the same case as process record i; and
 * ours_of[i], the first record of ours that is the same case as peer record
 * i. RESULTS_NO_RECORD where there is none. Returns 0 or -ENOMEM. */
int results_counterparts(const struct results *res, size_t *pair_of,
			 size_t *ours_of);

#endif
