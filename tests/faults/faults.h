/* faults.h - the fault-schedule test (tests/faults/): a seeded random driver
 * that runs pools, channels and supervisors while it injects the faults of
 * the faults issue, and checks each schedule's outcome against a model.
 *
 * A schedule is one scenario with its faults, drawn from (seed, index)
 * alone, run in a child process of its own (a process group of its own, so
 * that its signals to "the group" stay in it) under a deadline: a schedule
 * that hangs is killed and reported as a hang. Each scenario returns a
 * verdict: NULL when every invariant held, else a line naming the first
 * that broke. A failing schedule prints the command that replays it. */
#ifndef PT_FAULTS_H
#define PT_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How much slower a sanitized build runs what the model times: a
 * process's exit most of all (under TSan, with two CPUs busy, a crashed
 * worker's end reached the pool 50-65 ms after its signal, against 8-11
 * ms unsanitized), so the deadlines an ok task must meet scale by it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FAULTS_SLOWDOWN 5
#else
#define FAULTS_SLOWDOWN 1
#endif

/* The random source of one schedule: xorshift64*. */
struct faults_rng {
	uint64_t state;
};

uint64_t faults_rand(struct faults_rng *rng);
/* A number in [0, n). */
unsigned faults_below(struct faults_rng *rng, unsigned n);
bool faults_chance(struct faults_rng *rng, unsigned percent);

uint64_t faults_now_ns(void);
void faults_sleep_ms(unsigned ms);

/* What one schedule did, for its one-line description. */
struct faults_log {
	char text[512];
	size_t len;
};

void faults_note(struct faults_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A verdict: NULL for a pass, or a static or thread-local message. */
const char *faults_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Signals the scenario sends to its whole process group, as a terminal or
 * `kill -- -PGID` does; the schedule's process handles them (counting). */
void faults_signal_group(struct faults_rng *rng, struct faults_log *log);

/* Pids of live processes named name whose parent is this process or the
 * fork-server (or its twin); at most max. */
size_t faults_find_procs(const char *name, int *pids, size_t max);

/* Descriptors and children of this process, for the ledger. */
struct faults_ledger {
	int fds;
	int children;
};

void faults_ledger_take(struct faults_ledger *ledger);
/* NULL when after matches before (waiting up to 2 s for children that are
 * being reaped), else the verdict. */
const char *faults_ledger_check(const struct faults_ledger *before);

/* The scenarios (pool.c, chan.c, sup.c, region.c). */
const char *faults_pool(struct faults_rng *rng, struct faults_log *log);
const char *faults_chan(struct faults_rng *rng, struct faults_log *log);
const char *faults_sup(struct faults_rng *rng, struct faults_log *log);
const char *faults_region(struct faults_rng *rng, struct faults_log *log);

#endif
