/* soak.h - what the soak's two files share: the kinds of task, the task
 * itself and how each kind must end (tasks.c), used by the phases and the
 * ledger (soak.c). */
#ifndef PT_SOAK_H
#define PT_SOAK_H

#include <procthread.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kind {
	K_OK,	      /* computes and hands back its result */
	K_SEGV,	      /* SIGSEGV */
	K_ABORT,      /* abort() */
	K_EXIT,	      /* exit(3) with no result */
	K_LOOP,	      /* spins past the task timeout */
	K_NOMEM,      /* an allocation fails: returns ENOMEM */
	K_KILLED,     /* kill -9 from outside while it runs */
	K_RLIMIT,     /* lowers its worker's RLIMIT_AS, allocates until
			 it fails: returns ENOMEM, the worker is recycled */
	K_FULL,	      /* argument and result fill a channel slot to the
			 byte, in bursts that fill a worker's ring */
	K_MIDREPLY,   /* kill -9 with half its result written into the
			 reserved reply slot */
	K_MIDSEND,    /* kill -9 with the whole reply written, at the
			 instant before it is published (pt_chan_commit) */
	K_AFTERREPLY, /* SIGKILL (its own) just after its reply was
			 published */
	K_COUNT,
};

extern const char *const soak_kind_names[K_COUNT];

/* The argument of every task; a K_FULL task's fills SOAK_PAYLOAD bytes,
 * the rest of them a pattern drawn from value. */
struct task_arg {
	uint32_t index;
	uint32_t kind;
	uint64_t value;
};

/* The pool's max_arg_bytes and max_result_bytes: a K_FULL task fills the
 * request slot and the reply slot with exactly this many bytes. */
#define SOAK_PAYLOAD ((size_t)64 << 10)

/* Where a task that waits to be killed says which process to kill: a
 * region made before the pool, so every worker shares it. The killer
 * thread (soak.c) kills whoever appears there. */
#define VICTIM_SLOTS 256
extern _Atomic int *soak_victims;

/* The RLIMIT_AS every worker must run under (the soak's own, read at
 * start): a task that finds another returns SOAK_LEAKED. */
#define SOAK_LEAKED 1001

/* Reads this process's RLIMIT_AS into soak_as_limit; call before any pool. */
void soak_tasks_init(void);

/* The task, for every kind. */
int soak_task(const void *p, size_t len, struct pt_task_out *out);

/* Writes the argument of task a into buf (SOAK_PAYLOAD bytes for K_FULL,
 * else sizeof(*a)); returns its length. */
size_t soak_arg(const struct task_arg *a, unsigned char *buf);

/* Whether a resolved task ended as its kind says. */
bool soak_classified_right(const struct task_arg *a,
			   const struct pt_result *res);

/* How each kind must end, and how a result did end, in words for the
 * ledger. */
const char *soak_expected(enum kind k);
void soak_describe(const struct pt_result *res, char *buf, size_t cap);

#endif
