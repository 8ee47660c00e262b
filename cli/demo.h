/* demo.h - the demos of `procthread demo`: each shows one difference between
 * processes and threads, live, with values measured on the spot. */
#ifndef PT_CLI_DEMO_H
#define PT_CLI_DEMO_H

#include <procthread/unit.h>

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pt_demo_ctx {
	FILE *out;   /* where the human text goes */
	bool json;   /* fill *facts instead of printing text */
	bool colour; /* ANSI colour allowed on out */
};

/* A demo prints its text (or, with ctx->json, adds its facts to the
 * object) and returns 0, or prints why it failed to stderr and returns 1. */
typedef int pt_demo_fn(const struct pt_demo_ctx *ctx, json_t *facts);

struct pt_demo {
	const char *name;
	const char *summary;
	pt_demo_fn *run;
};

extern const struct pt_demo pt_demo_isolation;
extern const struct pt_demo pt_demo_overhead;
extern const struct pt_demo pt_demo_communication;
extern const struct pt_demo pt_demo_scheduling;
extern const struct pt_demo pt_demo_control;
extern const struct pt_demo pt_demo_failure;

/* Bold text when colour is allowed: "\033[1m" or "". */
const char *pt_demo_bold(const struct pt_demo_ctx *ctx);
const char *pt_demo_plain(const struct pt_demo_ctx *ctx);

/* --- demo_support.c: what several demos share --------------------------- */

/* Memory shared by the demo and every unit it forks or starts after the
 * call (MAP_SHARED, zeroed), or NULL. Freed with pt_demo_unshare(). */
void *pt_demo_share(size_t bytes);
void pt_demo_unshare(void *mem, size_t bytes);

/* A gate in shared memory: units arrive and wait until the demo, having
 * seen them all arrive, opens it. Zeroed memory is a closed gate. */
struct pt_demo_gate {
	_Alignas(64) atomic_uint arrived;
	_Alignas(64) atomic_uint open;
};

void pt_demo_gate_arrive(struct pt_demo_gate *gate);
/* Inside a unit: waits until the gate opens (true), or until the unit is
 * cancelled or timeout_ms passed (false). */
bool pt_demo_gate_pass(struct pt_demo_gate *gate, int timeout_ms);
/* Waits until n units arrived: 0, or -ETIMEDOUT after timeout_ms. */
int pt_demo_gate_await(struct pt_demo_gate *gate, unsigned n, int timeout_ms);
void pt_demo_gate_open(struct pt_demo_gate *gate);

/* Joins and destroys units[0..n), writing each status to st[i] when st is
 * not NULL; NULL entries are skipped and every entry is NULL after. */
void pt_demo_join_all(pt_unit **units, size_t n, struct pt_status *st);

uint64_t pt_demo_now_ns(void);	      /* CLOCK_MONOTONIC */
uint64_t pt_demo_thread_cpu_ns(void); /* the calling thread's CPU time */
/* Runs on the CPU until the calling thread used ns more CPU time, or its
 * unit is cancelled. */
void pt_demo_spin_cpu_ns(uint64_t ns);
void pt_demo_sleep_ms(int ms);
double pt_demo_ms(uint64_t ns);
/* Writes n with thousands separators ("100,000"), or a duration with a
 * fitting unit ("12 ms", "3.4 us"), into buf and returns buf. */
const char *pt_demo_group(char *buf, size_t cap, uint64_t n);

/* Prints text word by word from column col, breaking lines before column
 * 80 and starting each new line with indent blanks; ends with a newline.
 * PT_DEMO_NBSP prints as a blank that never breaks the line. */
#define PT_DEMO_NBSP '\x1f'
/* Turns the blanks of text into PT_DEMO_NBSP ("3.4 us" stays whole);
 * returns text. */
char *pt_demo_nobreak(char *text);
void pt_demo_wrap(FILE *out, int col, int indent, const char *text);
/* A blank line, then "conclusion: " (bold when allowed) and the sentence
 * made from fmt, wrapped. */
void pt_demo_conclude(const struct pt_demo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *pt_demo_duration(char *buf, size_t cap, uint64_t ns);

#endif
