/* process_wire.h - what a pool's process worker and its proxy exchange:
 * the worker's boot block and the request and reply headers on its two
 * channels (process_worker.c is the proxy's side, process_serve.c the
 * worker's). */
#ifndef PT_POOL_PROCESS_WIRE_H
#define PT_POOL_PROCESS_WIRE_H

#include <procthread/chan.h>
#include <procthread/pool.h>

#include <stdint.h>

/* The wire. A request: the header, then the argument bytes. A reply: the
 * header, then the result bytes. Sizes are checked on both sides. An
 * in-place task (flags PT__POOL_REQ_IN_PLACE) has no bytes after either
 * header: its argument and result are in the arena slot place, which the
 * worker maps (struct pt__pool_boot). */
struct pt__pool_req {
	uint64_t id;
	pt_task_fn *fn;
	uint64_t len;
	uint32_t flags;
	uint32_t place;
};

#define PT__POOL_REQ_IN_PLACE 0x1u

struct pt__pool_rep {
	uint64_t id;
	int32_t code;
	uint32_t flags; /* PT__POOL_REP_RECYCLE */
	uint64_t started_ns;
	uint64_t finished_ns;
	uint64_t len;
	uint64_t pad2;
};

/* The task asked for its worker's replacement (pt_pool_recycle_worker()). */
#define PT__POOL_REP_RECYCLE 0x1u
/* An in-place task's result is in its argument's room, not the result's
 * (the task pointed out->data at its argument). */
#define PT__POOL_REP_IN_ARG 0x2u
/* The task crashed with signal code, and the worker dies right after this
 * reply: sent by its crash handler (process_serve.c), no result bytes. */
#define PT__POOL_REP_CRASHED 0x4u

/* The worker's argument bytes, followed by init_len bytes for init. */
struct pt__pool_boot {
	struct pt_chan_ticket req;
	struct pt_chan_ticket resp;
	int32_t owner;
	uint32_t pad;
	uint64_t max_result;
	pt_pool_init_fn *init;
	uint64_t init_len;
	/* The arena of in-place tasks: a memfd passed at this number (-1:
	 * none), nslots slots of slot_bytes, arguments in the first arg_cap
	 * bytes of each and results in the rest. */
	int32_t arena_fd;
	uint32_t arena_nslots;
	uint64_t arena_slot_bytes;
	uint64_t arena_arg_cap;
};

/* The worker process's entry point; its argument is a struct
 * pt__pool_boot and the initializer's bytes. Returns its exit code. */
int pt__pool_worker_main(void *arg);

#endif
