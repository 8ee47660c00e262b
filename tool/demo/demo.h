/* demo.h - the demos of `procthread demo`: each shows one difference between
 * processes and threads, live, with values measured on the spot. */
#ifndef TOOL_DEMO_DEMO_H
#define TOOL_DEMO_DEMO_H

#include "cli/cli.h"

#include <procthread/unit.h>

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct demo_ctx {
	FILE *out;   /* where the human text goes */
	bool json;   /* fill *facts instead of printing text */
	bool colour; /* ANSI colour allowed on out */
};

/* A demo prints its text (or, with ctx->json, adds its facts to the
 * object) and returns 0, or prints why it failed to stderr and returns 1. */
typedef int demo_fn(const struct demo_ctx *ctx, json_t *facts);

struct demo {
	const char *name;
	const char *summary;
	demo_fn *run;
};

extern const struct demo demo_isolation;
extern const struct demo demo_overhead;
extern const struct demo demo_communication;
extern const struct demo demo_scheduling;
extern const struct demo demo_control;
extern const struct demo demo_failure;

/* Bold text when colour is allowed: "\033[1m" or "". */
const char *demo_bold(const struct demo_ctx *ctx);
const char *demo_plain(const struct demo_ctx *ctx);

/* --- support.c: what several demos share --------------------------- */

/* Memory shared by the demo and every unit it forks or starts after the
 * call (MAP_SHARED, zeroed), or NULL. Freed with demo_unshare(). */
void *demo_share(size_t bytes);
void demo_unshare(void *mem, size_t bytes);

/* A gate in shared memory: units arrive and wait until the demo, having
 * seen them all arrive, opens it. Zeroed memory is a closed gate. */
struct demo_gate {
	_Alignas(64) atomic_uint arrived;
	_Alignas(64) atomic_uint open;
};

void demo_gate_arrive(struct demo_gate *gate);
/* Inside a unit: waits until the gate opens (true), or until the unit is
 * cancelled or timeout_ms passed (false). */
bool demo_gate_pass(struct demo_gate *gate, int timeout_ms);
/* Waits until n units arrived: 0, or -ETIMEDOUT after timeout_ms. */
int demo_gate_await(struct demo_gate *gate, unsigned n, int timeout_ms);
void demo_gate_open(struct demo_gate *gate);

/* Joins and destroys units[0..n), writing each status to st[i] when st is
 * not NULL; NULL entries are skipped and every entry is NULL after. */
void demo_join_all(pt_unit **units, size_t n, struct pt_status *st);

uint64_t demo_now_ns(void);	   /* CLOCK_MONOTONIC */
uint64_t demo_thread_cpu_ns(void); /* the calling thread's CPU time */
/* Runs on the CPU until the calling thread used ns more CPU time, or its
 * unit is cancelled. */
void demo_spin_cpu_ns(uint64_t ns);
void demo_sleep_ms(int ms);
double demo_ms(uint64_t ns);
/* Writes n with thousands separators ("100,000"), or a duration with a
 * fitting unit ("12 ms", "3.4 us"), into buf and returns buf. */
const char *demo_group(char *buf, size_t cap, uint64_t n);

/* Prints text word by word from column col, breaking lines before column
 * 80 and starting each new line with indent blanks; ends with a newline.
 * DEMO_NBSP prints as a blank that never breaks the line. */
#define DEMO_NBSP '\x1f'
/* Turns the blanks of text into DEMO_NBSP ("3.4 us" stays whole);
 * returns text. */
char *demo_nobreak(char *text);
void demo_wrap(FILE *out, int col, int indent, const char *text);
/* A blank line, then "conclusion: " (bold when allowed) and the sentence
 * made from fmt, wrapped. */
void demo_conclude(const struct demo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "12 ms", "1.5 ms", "250 us", "1.2 us", "800 ns" into buf; returns buf. */
char *demo_duration(char *buf, size_t cap, uint64_t ns);
/* "12M", "250k", "9999" into buf; returns buf. */
char *demo_count(char *buf, size_t cap, uint64_t n);

/* The command, listed in the table of main/commands.c. */
extern const struct cli_command cli_demo;

#endif
