/* peers.h - established tools run beside our cases, so that a figure of
 * ours stands next to the same thing measured by a tool engineers already
 * trust. Each suite's peers() lives here, one file per tool; peer.c runs a
 * tool and captures what it prints.
 *
 * A peer record has the name, kind and params of the case of ours it
 * stands beside, so the table and `compare` match them; the tool runs
 * with the case's placement (it inherits this thread's CPU affinity). A
 * tool that is not installed is a one-line note, never an error. */
#ifndef TOOL_BENCH_PEERS_PEERS_H
#define TOOL_BENCH_PEERS_PEERS_H

#include "bench/engine/bench.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The peers of each suite. */
int bench_create_peers(struct bench_ctx *ctx); /* stress-ng */
int bench_switch_peers(struct bench_ctx *ctx); /* perf, hackbench */
int bench_ipc_peers(struct bench_ctx *ctx);    /* ZeroMQ, iceoryx */
int bench_pool_peers(struct bench_ctx *ctx);   /* GThreadPool, Python */

/* hackbench's part of the switch peers. */
int peer_hackbench(struct bench_ctx *ctx);

/* The ipc suite's peers, one file each. */
int peer_zeromq(struct bench_ctx *ctx);
int peer_iceoryx(struct bench_ctx *ctx);

/* The directory the running tool is in, with a trailing '/': where the
 * peer programs built with it are (bench/peers/CMakeLists.txt). */
bool peer_tool_dir(char *buf, size_t len);

/* Puts the path of name, a peer program built beside the tool, into buf
 * (dir: from peer_tool_dir()). Returns true when it is there to run;
 * else notes missing (what is not built and how to get it) and returns
 * false. */
bool peer_program(struct bench_ctx *ctx, const char *dir, const char *name,
		  char *buf, size_t len, const char *missing);

/* True when tool is an executable file in a directory of $PATH. */
bool peer_found(const char *tool);

/* Runs argv (argv[0] looked up on $PATH) in its own process group with
 * stdout and stderr captured, killing the group after timeout_ms. Returns
 * 0 when it exited with status 0, -ETIMEDOUT, -ECHILD for another exit
 * (the output is still handed back), -ENOENT when the tool is not there,
 * or -errno when it could not start. *out is a malloc'd NUL-terminated
 * string the caller frees, set whenever the tool ran; *cpu_ns (unless
 * NULL) the CPU time, user and system, of the tool and all it reaped. */
int peer_run(char *const argv[], int timeout_ms, char **out, uint64_t *cpu_ns);

/* The number written just before the first occurrence of word in text
 * ("13.3 usecs/op" with word "usecs/op"). Returns true and sets *value. */
bool peer_number_before(const char *text, const char *word, double *value);

/* The number just after the first occurrence of word ("Time: 0.678" with
 * word "Time:"). */
bool peer_number_after(const char *text, const char *word, double *value);

/* Notes that a peer run failed: the tool, why, and the line of its output
 * that says most (one mentioning a failure, else the last). */
void peer_failed(struct bench_ctx *ctx, const char *tool, int err,
		 const char *output);

/* Reads one figure from a tool's output (and the CPU time the run used);
 * false when it is not there. */
typedef bool peer_parse_fn(const char *output, uint64_t cpu_ns, void *arg,
			   double *value);

/* The CPU time of one run of argv placed as place (a short run: its fixed
 * cost, which a peer's parse takes off a long run's), or 0 when it failed.
 * Its output is dropped. */
uint64_t peer_baseline_cpu_ns(struct bench_ctx *ctx, enum bench_place place,
			      char *const argv[], int timeout_ms);

/* The parse of our own peer programs (bench/peers/): the positive number
 * after "value " on their output; the wall clock is their figure. */
peer_parse_fn peer_parse_value;

/* Runs argv bench_reps() times with c's placement, reads one value from
 * each run with parse, and records the values as c (a peer record). A run
 * that fails is noted and left out. Returns 0 when a record was made,
 * -EIO when no run gave a value, or what bench_emit() returns. */
int peer_measure(struct bench_ctx *ctx, const struct bench_case *c,
		 char *const argv[], int timeout_ms, peer_parse_fn *parse,
		 void *arg);

#endif
