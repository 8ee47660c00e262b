/* ring_layers.c - where a message through the spinning ring spends its time
 * (issue 15, 1): the ring taken apart layer by layer, not a test.
 *
 * Part 1, one CPU, nothing shared with another: the software of a message
 * (one send and one receive in a row, all in L1), layer by layer - the
 * ring's own calls, the channel's non-blocking calls, its waiting calls
 * with no deadline and with one - and the pieces they are made of: a clock
 * read, a locked exchange against a plain store.
 *
 * Part 2, a round trip between two processes pinned to two CPUs: the
 * atomic floor (one line passed back and forth, as bench ipc's
 * limit-atomic), two lines (one per direction: what two one-way channels
 * need at least), a bare ring (two rings of slots whose sequence is all
 * there is), the ring's calls, and the channel's calls.
 *
 * Each figure is the minimum and the median of ROUNDS runs; compare only
 * within one run (docs/design.md, "Channels and the ring", has a table).
 * Usage: ring_layers [SIZE]   (default 8; two CPUs needed for part 2)
 */
#include "chan/ring.h"
#include "util/clock.h"

#include <procthread/chan.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS	 7
#define LOCAL_N	 1000000u
#define REMOTE_N 100000u
#define SLOTS	 64
#define BUF_MAX	 4096

static size_t size = 8;
static unsigned char buf[BUF_MAX];

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *shared_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0, len);
	return p;
}

/* --- part 1: one CPU ------------------------------------------------- */

static _Alignas(128) _Atomic uint64_t word;
static volatile uint64_t sink_all; /* keeps the clock reads */

static double per_call(int what)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM, .kind = PT_KIND_PROCESS,
			     .max_msg_bytes = size,
			     .spin_ns = PT_CHAN_SPIN_FOREVER);
	pt_chan *chan = NULL;
	struct pt__ring ring;
	void *mem = NULL;
	uint64_t start, sink = 0;
	double ns;
	size_t len, bytes = pt__ring_bytes(SLOTS, size);
	bool wake;

	if (what >= 3 && pt_chan_create(&o, &chan))
		exit(1);
	if (what == 2) {
		mem = shared_map(bytes);
		pt__ring_init(&ring, mem, SLOTS, size, false);
	}
	start = pt__now_ns();
	for (uint32_t i = 0; i < LOCAL_N; i++) {
		switch (what) {
		case 0:
			sink += pt__now_ns();
			break;
		case 1:
			sink += atomic_exchange(&word, i);
			break;
		case 2:
			(void)pt__ring_try_send(&ring, buf, size, 0, &wake);
			(void)pt__ring_try_recv(&ring, buf, size, &len, 0,
						&wake);
			break;
		case 3:
			(void)pt_chan_try_send(chan, buf, size);
			(void)pt_chan_try_recv(chan, buf, size, &len);
			break;
		case 4:
			(void)pt_chan_send(chan, buf, size, -1);
			(void)pt_chan_recv(chan, buf, size, &len, -1);
			break;
		case 5:
			(void)pt_chan_send(chan, buf, size, 1000);
			(void)pt_chan_recv(chan, buf, size, &len, 1000);
			break;
		default:
			atomic_store_explicit(&word, i, memory_order_release);
			break;
		}
	}
	ns = (double)(pt__now_ns() - start) / LOCAL_N;
	sink_all += sink;
	pt_chan_destroy(chan);
	if (mem)
		munmap(mem, bytes);
	return ns;
}

/* --- part 2: two CPUs ------------------------------------------------ */

struct lines {
	_Alignas(128) _Atomic uint64_t a;
	_Alignas(128) _Atomic uint64_t b;
};

static void wait_for(_Atomic uint64_t *w, uint64_t v)
{
	while (atomic_load_explicit(w, memory_order_acquire) != v)
		relax();
}

/* mode 0: one line both ways; 1: a line per direction; 2: a ring of
 * SLOTS lines per direction, the sequence alone in each */
static void token_side(struct lines *l, unsigned char *rings, int mode,
		       bool b_side)
{
	for (uint64_t i = 1; i <= REMOTE_N; i++) {
		_Atomic uint64_t *out, *in;

		if (mode == 2) {
			out = (_Atomic uint64_t *)(rings +
						   (b_side ? SLOTS : 0) * 64 +
						   (i % SLOTS) * 64);
			in = (_Atomic uint64_t *)(rings +
						  (b_side ? 0 : SLOTS) * 64 +
						  (i % SLOTS) * 64);
		} else if (mode == 1) {
			out = b_side ? &l->b : &l->a;
			in = b_side ? &l->a : &l->b;
		} else {
			out = in = &l->a;
		}
		if (b_side) {
			wait_for(in, mode ? i : 2 * i - 1);
			atomic_store_explicit(out, mode ? i : 2 * i,
					      memory_order_release);
		} else {
			atomic_store_explicit(out, mode ? i : 2 * i - 1,
					      memory_order_release);
			wait_for(in, mode ? i : 2 * i);
		}
	}
}

static void ring_side(struct pt__ring *in, struct pt__ring *out, bool b_side)
{
	size_t len;
	bool wake;

	for (uint32_t i = 0; i < REMOTE_N; i++) {
		if (b_side)
			while (pt__ring_try_recv(in, buf, size, &len, 0,
						 &wake) == -EAGAIN)
				relax();
		while (pt__ring_try_send(out, buf, size, 0, &wake) == -EAGAIN)
			relax();
		if (!b_side)
			while (pt__ring_try_recv(in, buf, size, &len, 0,
						 &wake) == -EAGAIN)
				relax();
	}
}

static void chan_side(pt_chan *in, pt_chan *out, bool b_side)
{
	size_t len;

	for (uint32_t i = 0; i < REMOTE_N; i++) {
		if (b_side)
			(void)pt_chan_recv(in, buf, size, &len, -1);
		(void)pt_chan_send(out, buf, size, -1);
		if (!b_side)
			(void)pt_chan_recv(in, buf, size, &len, -1);
	}
}

static double round_trip(int mode)
{
	struct pt_chan_opts o =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM, .kind = PT_KIND_PROCESS,
			     .max_msg_bytes = size, .capacity = SLOTS,
			     .spin_ns = PT_CHAN_SPIN_FOREVER);
	size_t bytes = pt__ring_bytes(SLOTS, size);
	struct lines *l = shared_map(sizeof(*l));
	unsigned char *rings = shared_map(2 * SLOTS * 64);
	unsigned char *m1 = shared_map(bytes), *m2 = shared_map(bytes);
	struct pt__ring ab, ba;
	pt_chan *cab = NULL, *cba = NULL;
	uint64_t start;
	double ns;
	pid_t pid;

	pt__ring_init(&ab, m1, SLOTS, size, false);
	pt__ring_init(&ba, m2, SLOTS, size, false);
	ab.sleepless = ba.sleepless = mode == 5;
	if (mode == 6)
		o.spin_ns = 1000000000u; /* spins 1 s, then would sleep */
	if (mode >= 4 && mode != 5 &&
	    (pt_chan_create(&o, &cab) || pt_chan_create(&o, &cba)))
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		pin(1);
		if (mode < 3)
			token_side(l, rings, mode, true);
		else if (mode == 3 || mode == 5)
			ring_side(&ab, &ba, true);
		else
			chan_side(cab, cba, true);
		_exit(0);
	}
	pin(0);
	start = pt__now_ns();
	if (mode < 3)
		token_side(l, rings, mode, false);
	else if (mode == 3 || mode == 5)
		ring_side(&ba, &ab, false);
	else
		chan_side(cba, cab, false);
	ns = (double)(pt__now_ns() - start) / REMOTE_N;
	(void)waitpid(pid, NULL, 0);
	pt_chan_destroy(cab);
	pt_chan_destroy(cba);
	munmap(l, sizeof(*l));
	munmap(rings, 2 * SLOTS * 64);
	munmap(m1, bytes);
	munmap(m2, bytes);
	return ns;
}

/* --- the table ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void row(const char *name, double (*fn)(int), int arg)
{
	double v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		v[r] = fn(arg);
	qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
	printf("%-34s min %7.1f ns  median %7.1f ns\n", name, v[0],
	       v[ROUNDS / 2]);
}

/* The rows, in the order printed; a NULL fn is a heading. */
static const struct layer {
	const char *name;
	double (*fn)(int);
	int arg;
} layers[] = {
	{ "one CPU, per message (send + receive):", NULL, 0 },
	{ "  clock read (pt__now_ns)", per_call, 0 },
	{ "  locked exchange, own line", per_call, 1 },
	{ "  release store, own line", per_call, 6 },
	{ "  ring: try_send + try_recv", per_call, 2 },
	{ "  chan: try_send + try_recv", per_call, 3 },
	{ "  chan: send + recv, no timeout", per_call, 4 },
	{ "  chan: send + recv, 1 s timeout", per_call, 5 },
	{ "two CPUs (0, 1), per round trip:", NULL, 0 },
	{ "  floor: one line both ways", round_trip, 0 },
	{ "  two lines, one per direction", round_trip, 1 },
	{ "  bare ring: sequence per slot", round_trip, 2 },
	{ "  ring: try_send / try_recv", round_trip, 3 },
	{ "  ring, sleepless", round_trip, 5 },
	{ "  chan: send / recv, spin (sleepless)", round_trip, 4 },
	{ "  chan: send / recv, 1 s spin", round_trip, 6 },
	/* again, to see whether the machine moved during the run */
	{ "  floor: one line both ways", round_trip, 0 },
};

int main(int argc, char **argv)
{
	if (argc > 1)
		size = strtoul(argv[1], NULL, 10);
	if (size == 0 || size > BUF_MAX) {
		fprintf(stderr, "usage: ring_layers [SIZE 1-%d]\n", BUF_MAX);
		return 2;
	}
	printf("message size %zu B\n", size);
	pin(0);
	for (size_t k = 0; k < sizeof(layers) / sizeof(layers[0]); k++) {
		if (layers[k].fn)
			row(layers[k].name, layers[k].fn, layers[k].arg);
		else
			printf("%s\n", layers[k].name);
	}
	return 0;
}
