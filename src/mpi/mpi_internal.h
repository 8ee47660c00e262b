/* mpi_internal.h - what the files of procthread_mpi share: the polling
 * back-off, the pool's wire format, the pool and its futures. See pool.c
 * for the pool's design and chan.c (in this folder) for the channel's. */
#ifndef PT_MPI_INTERNAL_H
#define PT_MPI_INTERNAL_H

#include <procthread/mpi.h>
#include <procthread/pool.h>

#include "pool/outcome.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* --- backoff.c: waiting without a descriptor to sleep on ------------------ */

/* A waiting loop polls MPI, and between two polls calls
 * pt__mpi_backoff_pause(): no pause for spin_ns from the first call, then
 * sched_yield() 16 times, then sleeps of 1 us doubling up to 1 ms (or
 * max_sleep_ns), never past deadline_ns (0: none). Zero it to start (but
 * max_sleep_ns), again after progress. */
struct pt__mpi_backoff {
	uint64_t spin_until; /* 0: not started */
	uint64_t sleep_ns;
	unsigned yields;
	uint64_t max_sleep_ns; /* 0: 1 ms */
};

/* The longest pause between two polls in a pool, in the owner's engine
 * while tasks are out and in an idle serving rank: a reply, or a new task,
 * waits at most about this long to be seen. */
#define PT__MPI_POOL_SLEEP_NS ((uint64_t)100 * 1000u)

/* Returns false, without pausing, once deadline_ns has passed. */
bool pt__mpi_backoff_pause(struct pt__mpi_backoff *b, uint64_t spin_ns,
			   uint64_t deadline_ns);

/* --- start.c: the registry and the start-up handshake ----------------------
 */

/* Tags on the pool's own communicator (a duplicate of the caller's). */
enum { PT__MPI_TAG_TASK = 1, PT__MPI_TAG_REPLY = 2 };

enum {
	PT__MPI_MSG_TASK = 1,
	PT__MPI_MSG_STOP,
	PT__MPI_MSG_RESULT,
	PT__MPI_MSG_BYE
};

/* Owner -> server: then len argument bytes. */
struct pt__mpi_task_hdr {
	uint64_t id;
	uint32_t type;	/* TASK or STOP */
	uint32_t index; /* in the registry */
	uint64_t len;
};

/* Server -> owner: then len result bytes. */
struct pt__mpi_reply_hdr {
	uint64_t id;
	uint32_t type;	 /* RESULT or BYE */
	int32_t code;	 /* the task's return value */
	uint64_t run_ns; /* how long it ran, on the server's clock */
	uint64_t len;
};

/* What every rank tells every other at start-up. */
struct pt__mpi_peer {
	uint64_t digest; /* of the registry's names, in order */
	uint64_t n_tasks;
	int32_t pid;
	uint32_t pad;
	char host[64]; /* boot id and pid namespace: equal = same host */
};

/* The owner's settings, sent to every server. */
struct pt__mpi_config {
	uint64_t max_arg;
	uint64_t max_result;
};

/* 0 when MPI is initialised and not finalised, else -ENOTCONN. */
int pt__mpi_ready(void);

/* Copies opts (a smaller, older struct reads as zeros past its size),
 * checks them and the registry, and fills in defaults. Returns 0 or
 * -EINVAL. */
int pt__mpi_pool_take_opts(const struct pt_mpi_pool_opts *opts,
			   struct pt_mpi_pool_opts *o);

/* Checks a registry (names unique, 1..63 bytes, functions set). Returns 0
 * or -EINVAL. */
int pt__mpi_registry_check(const struct pt_mpi_task *tasks, size_t n);

/* The index of fn or name in the registry, or -ENOENT. */
int pt__mpi_registry_find_fn(pt_task_fn *fn, const struct pt_mpi_task *tasks,
			     size_t n);
int pt__mpi_registry_find_name(const struct pt_mpi_task *tasks, size_t n,
			       const char *name);

/* The collective start of a pool, in every rank of comm: duplicates comm
 * into *pcomm, sends the owner's *cfg to all (a server's *cfg is filled),
 * and exchanges struct pt__mpi_peer (*peers: one per rank, the caller
 * frees it). verdict is this rank's own say on its part: 0, or the -errno
 * its options, role or thread level deserve. Returns 0 in every rank when
 * all said 0 and registered the same names; else the same -errno in every
 * rank (-EPROTO for registries that differ; a rank's own verdict) with
 * *pcomm freed. */
int pt__mpi_start(MPI_Comm comm, const struct pt_mpi_task *tasks, size_t n,
		  int verdict, struct pt__mpi_config *cfg, MPI_Comm *pcomm,
		  struct pt__mpi_peer **peers);

/* True when peer runs on this host, in this pid namespace: its pid can be
 * watched through a pidfd. */
bool pt__mpi_same_host(const struct pt__mpi_peer *peer);

/* --- the pool (pool.c, engine.c) ------------------------------------------ */

/* outcome.state: QUEUED in the queue, TAKEN once handed to a rank, then
 * RESOLVING and DONE (src/pool/outcome.h, shared with the local pool). */
struct pt_mpi_future {
	struct pt__outcome outcome;
	atomic_int refs;   /* the caller's and the pool's */
	pt_mpi_pool *pool; /* only touched while unresolved */
	int rank;	   /* where it was sent last; -1 */
	uint64_t deadline_ns;
	MPI_Request send;		   /* the engine's */
	struct pt_mpi_future *next, *prev; /* the queue */
	size_t msg_len;
	/* the message as sent: header, then the argument bytes */
	struct pt__mpi_task_hdr msg[];
};

/* A serving rank, as the owner's engine sees it. */
struct pt__mpi_rank {
	int rank;
	int pid;
	int pidfd; /* on this host: watched; else -1 */
	bool dead; /* its process ended (seen through pidfd) */
	bool stop_sent;
	bool bye; /* it left its serving loop */
	/* sent and not answered, in the order the rank runs them */
	struct pt_mpi_future **out;
	unsigned n_out;
	struct pt__mpi_reply_hdr *reply_buf; /* header + max_result bytes */
	MPI_Request stop;
};

struct pt_mpi_pool {
	struct pt_mpi_pool_opts opts;
	MPI_Comm comm; /* the pool's own duplicate */
	struct pt__mpi_config cfg;

	pthread_mutex_t lock;
	pthread_cond_t work;  /* to the engine: queued, or closing */
	pthread_cond_t room;  /* the queue has room */
	pthread_cond_t quiet; /* unresolved reached 0, or the engine ended */
	struct pt_mpi_future *head, *tail;
	size_t nqueued;
	uint64_t unresolved;
	uint64_t next_id;
	bool closing;	    /* no more submits */
	bool cancel_queued; /* closing with PT_POOL_CANCEL */
	uint64_t stop_ns;   /* shutdown's deadline; 0: none */
	bool stopped_some;  /* the deadline resolved running tasks */
	bool engine_idle;   /* waiting on work */
	bool engine_done;
	unsigned live; /* ranks not dead */
	struct pt_pool_stats stats;

	struct pt__mpi_rank *ranks; /* nranks serving ranks */
	unsigned nranks;
	MPI_Request *replies; /* the receive posted for each rank's reply */
	pthread_t engine;
	bool has_engine;
	bool shut;
};

/* Resolves f with res (status, error, and the rank fields) unless done
 * before, keeping the counters. Takes buf (result bytes) either way.
 * Under pool->lock. Returns true when this call resolved it. */
bool pt__mpi_future_resolve(pt_mpi_pool *pool, pt_mpi_future *f,
			    const struct pt_result *res, void *buf, size_t len);

/* Drops one reference; the last frees the future. */
void pt__mpi_future_put(pt_mpi_future *f);

/* The queue, under pool->lock. */
pt_mpi_future *pt__mpi_queue_pop(pt_mpi_pool *pool);
void pt__mpi_queue_push_front(pt_mpi_pool *pool, pt_mpi_future *f);

/* The engine thread (engine.c). */
void *pt__mpi_engine_main(void *arg);

#endif
