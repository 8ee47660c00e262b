/* mpi_internal.h - what the files of procthread_mpi share: the polling
 * back-off, the pool backend's wire format and its state. See pool.c for
 * the backend's design (the pool itself is src/pool/'s core) and chan.c
 * (in this folder) for the channel's. */
#ifndef PT_MPI_INTERNAL_H
#define PT_MPI_INTERNAL_H

#include <procthread/mpi.h>
#include <procthread/pool.h>

#include "pool/backend.h"

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

/* Owner -> server: then len argument bytes. Exactly PT__POOL_HEADROOM
 * bytes, written into the future's head just before its argument, so that
 * a task goes out as one message without a copy. */
struct pt__mpi_task_hdr {
	uint64_t id;
	uint32_t type;	/* TASK or STOP */
	uint32_t index; /* in the registry */
	uint64_t len;
	uint64_t pad;
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

/* The options a rank checks, the owner and a server alike: the registry
 * (required), depth (0: 2; at most 64). Returns 0 or -EINVAL. */
int pt__mpi_check_opts(struct pt_pool_opts *o);

/* The collective start of a pool, in every rank of comm: duplicates comm
 * into *pcomm, sends the owner's *cfg to all (a server's *cfg is filled),
 * and exchanges struct pt__mpi_peer (*peers: one per rank, the caller
 * frees it). verdict is this rank's own say on its part: 0, or the -errno
 * its options, role or thread level deserve. Returns 0 in every rank when
 * all said 0 and registered the same names; else the same -errno in every
 * rank (-EPROTO for registries that differ; a rank's own verdict) with
 * *pcomm freed. */
int pt__mpi_start(MPI_Comm comm, const struct pt_pool_task *tasks, size_t n,
		  int verdict, struct pt__mpi_config *cfg, MPI_Comm *pcomm,
		  struct pt__mpi_peer **peers);

/* True when peer runs on this host, in this pid namespace: its pid can be
 * watched through a pidfd. */
bool pt__mpi_same_host(const struct pt__mpi_peer *peer);

/* --- the pool backend (pool.c, engine.c) ---------------------------------- */

/* A serving rank, as the owner's engine sees it: slot i of the pool is
 * rank i + 1. */
struct pt__mpi_rank {
	int rank;
	int pid;
	int pidfd; /* on this host: watched; else -1 */
	bool dead; /* its process ended (seen through pidfd) */
	bool stop_sent;
	bool bye; /* it left its serving loop */
	/* Sent and not answered, in the order the rank runs them, each
	 * with its send; the engine holds a reference on each. */
	pt_future **out;
	MPI_Request *sends;
	unsigned n_out;
	struct pt__mpi_reply_hdr *reply_buf; /* header + max_result bytes */
	MPI_Request stop;
};

/* pool->backend of a PT_KIND_MPI pool. */
struct pt__mpi_pool {
	MPI_Comm comm; /* the pool's own duplicate */
	struct pt__mpi_config cfg;
	struct pt__mpi_rank *ranks; /* pool->nslots serving ranks */
	MPI_Request *replies; /* the receive posted for each rank's reply */
	pthread_t engine;
	bool has_engine; /* to be joined */
	bool engine_ran; /* it stops the servers; else mpi_close() does */
};

/* The engine thread (engine.c); its argument is the pool. */
void *pt__mpi_engine_main(void *arg);

/* Stops the serving ranks of a pool whose engine never ran, and waits
 * for their goodbyes (engine.c). */
void pt__mpi_stop_servers(pt_pool *pool);

/* The backend, registered with the core (pool.c). */
extern const struct pt__pool_ops pt__mpi_pool_ops;

#endif
