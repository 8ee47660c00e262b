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
 * header, then the result bytes. Sizes are checked on both sides. */
struct pt__pool_req {
	uint64_t id;
	pt_task_fn *fn;
	uint64_t len;
	uint64_t pad;
};

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

/* The worker's argument bytes, followed by init_len bytes for init. */
struct pt__pool_boot {
	struct pt_chan_ticket req;
	struct pt_chan_ticket resp;
	int32_t owner;
	uint32_t pad;
	uint64_t max_result;
	pt_pool_init_fn *init;
	uint64_t init_len;
};

/* The worker process's entry point; its argument is a struct
 * pt__pool_boot and the initializer's bytes. Returns its exit code. */
int pt__pool_worker_main(void *arg);

#endif
