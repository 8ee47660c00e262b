/* pool_limits.c - the floor of the pool suite's restart: how long the
 * kernel takes to tell a parent that its child died. A process unit,
 * spawned as a pool's worker is (a process of this process's, with a
 * pidfd), writes the time into shared memory and aborts, as the restart
 * case's task does; the sample ends when poll() on the unit's descriptor
 * wakes. Its exit -
 * the address space torn down, the parent told - is what any restart
 * waits for first, spares or not. */
#include "bench/suites/pool.h"

#include <procthread/unit.h>

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

struct death {
	atomic_ullong last_word; /* MAP_SHARED: the unit's last timestamp */
};

/* Dies as the restart case's task does. */
static int die_now(void *arg)
{
	struct death *d = arg;

	atomic_store(&d->last_word, bench_now_ns());
	abort();
}

static int sample_death(void *arg, double *value)
{
	struct death *d = arg;
	struct pt_unit_opts o = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pollfd pfd = { .events = POLLIN };
	struct pt_status st;
	uint64_t seen;
	pt_unit *unit;
	int rc;

	atomic_store(&d->last_word, 0);
	rc = pt_unit_spawn(&o, die_now, d, &unit);
	if (rc)
		return rc;
	pfd.fd = pt_unit_fd(unit);
	while (poll(&pfd, 1, -1) < 0)
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	seen = bench_now_ns();
	if (pt_unit_join(unit, -1, &st) == 0 && rc == 0 &&
	    atomic_load(&d->last_word))
		*value = (double)(seen - atomic_load(&d->last_word));
	else if (rc == 0)
		rc = -EIO;
	pt_unit_destroy(unit);
	return rc;
}

int bench_pool_limit_death(struct bench_ctx *ctx)
{
	const struct bench_param params[] = {
		BENCH_STR("workload", "crash"),
		BENCH_STR("mode", "latency"),
		BENCH_INT("workers", 1),
		BENCH_INT("size", 0),
		BENCH_INT("task_ns", 0),
		BENCH_STR("transport", "limit-death"),
	};
	struct death *d = mmap(NULL, sizeof(*d), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct bench_case c = {
		.name = "restart",
		.kind = BENCH_NONE,
		.place = BENCH_ANY,
		BENCH_PARAMS(params),
		.sample = sample_death,
	};
	int rc;

	if (d == MAP_FAILED)
		return -1;
	c.arg = d;
	bench_progress(ctx, "pool restart floor: a child's death, told");
	rc = bench_measure(ctx, &c);
	munmap(d, sizeof(*d));
	return rc ? -1 : 0;
}
