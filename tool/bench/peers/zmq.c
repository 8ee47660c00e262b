/* zmq.c - ZeroMQ beside the ipc suite: the same round trip and the same
 * checked one-way stream as our channels, over a PAIR socket pair, with
 * ipc:// (a UNIX socket, threads and processes) and inproc:// (threads of
 * one context).
 *
 * libzmq is loaded at run time (dlopen of libzmq.so.5), so the tool builds
 * and runs without it; a machine without it gets a note. Each process
 * makes its own context after the fork (ZeroMQ contexts do not survive
 * one); side B binds, side A connects. Records: like the suite's
 * "latency" and "throughput", peer "zeromq", transport zmq-ipc or
 * zmq-inproc.
 */
#include "bench/peers/peers.h"

#include <procthread/unit.h>

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZMQ_PAIR   0
#define ZMQ_LINGER 17
#define ZMQ_SNDHWM 23
#define ZMQ_RCVHWM 24
#define ACK_FLAG   (1ull << 63)

struct zmq_api {
	void *lib;
	void *(*ctx_new)(void);
	int (*ctx_term)(void *ctx);
	void *(*socket)(void *ctx, int type);
	int (*close)(void *sock);
	int (*bind)(void *sock, const char *ep);
	int (*connect)(void *sock, const char *ep);
	int (*send)(void *sock, const void *buf, size_t len, int flags);
	int (*recv)(void *sock, void *buf, size_t len, int flags);
	int (*setsockopt)(void *sock, int opt, const void *val, size_t len);
};

static struct zmq_api zmq;

static bool load(void)
{
	static const char *const libs[] = { "libzmq.so.5", "libzmq.so" };

	for (size_t i = 0; !zmq.lib && i < 2; i++)
		zmq.lib = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
	if (!zmq.lib)
		return false;
	*(void **)&zmq.ctx_new = dlsym(zmq.lib, "zmq_ctx_new");
	*(void **)&zmq.ctx_term = dlsym(zmq.lib, "zmq_ctx_term");
	*(void **)&zmq.socket = dlsym(zmq.lib, "zmq_socket");
	*(void **)&zmq.close = dlsym(zmq.lib, "zmq_close");
	*(void **)&zmq.bind = dlsym(zmq.lib, "zmq_bind");
	*(void **)&zmq.connect = dlsym(zmq.lib, "zmq_connect");
	*(void **)&zmq.send = dlsym(zmq.lib, "zmq_send");
	*(void **)&zmq.recv = dlsym(zmq.lib, "zmq_recv");
	*(void **)&zmq.setsockopt = dlsym(zmq.lib, "zmq_setsockopt");
	return zmq.ctx_new && zmq.ctx_term && zmq.socket && zmq.close &&
	       zmq.bind && zmq.connect && zmq.send && zmq.recv &&
	       zmq.setsockopt;
}

struct zpeer {
	bool latency;
	bool inproc;
	enum pt_kind kind;
	size_t size;
	unsigned per_call;
	char ep[108];
	void *ctx_a; /* side A's context; side B's too for inproc */
	void *sock;  /* side A's */
	unsigned char *buf_a, *buf_b;
	uint64_t seq;
	pt_unit *unit;
	atomic_int bound; /* side B's socket is bound (threads) */
};

static void *make_socket(void *ctx)
{
	void *s = zmq.socket(ctx, ZMQ_PAIR);
	int zero = 0, hwm = 1000;

	if (s) {
		zmq.setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
		zmq.setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		zmq.setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	}
	return s;
}

/* Side B: echoes (latency) or checks and acknowledges (throughput) until
 * a zero-length message says stop. */
static int side_b(void *arg)
{
	struct zpeer *z = arg;
	/* Locals: a thread side B reading A's struct at every message would
	 * share the line A writes (its sequence number). */
	unsigned char *buf = z->buf_b;
	size_t size = z->size;
	bool latency = z->latency, inproc = z->inproc;
	void *ctx = inproc ? z->ctx_a : zmq.ctx_new();
	void *s = ctx ? make_socket(ctx) : NULL;
	uint64_t seq = 0, hdr;
	int n, rc = 1;

	if (!s || zmq.bind(s, z->ep))
		goto out;
	atomic_store(&z->bound, 1);
	while ((n = zmq.recv(s, buf, size, 0)) > 0) {
		if (latency) {
			if (zmq.send(s, buf, (size_t)n, 0) != n)
				goto out;
			continue;
		}
		memcpy(&hdr, buf, sizeof(hdr));
		if ((size_t)n != size || (hdr & ~ACK_FLAG) != seq ||
		    (size > 8 && buf[n - 1] != (unsigned char)seq))
			goto out;
		seq++;
		if ((hdr & ACK_FLAG) &&
		    zmq.send(s, &seq, sizeof(seq), 0) != sizeof(seq))
			goto out;
	}
	rc = n == 0 ? 0 : 2;
out:
	if (s)
		zmq.close(s);
	if (ctx && !inproc)
		zmq.ctx_term(ctx);
	return rc;
}

static int zsetup(void *arg, const struct bench_where *where)
{
	static atomic_uint counter;
	struct zpeer *z = arg;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = z->kind, .name = "pt-bench-zmq",
			     .cpu_mask = bench_cpu_mask(where, 1));
	int rc;

	z->seq = 0;
	snprintf(z->ep, sizeof(z->ep),
		 z->inproc ? "inproc://pt-bench-%d-%u"
			   : "ipc:///tmp/pt-bench-zmq-%d-%u",
		 (int)getpid(), atomic_fetch_add(&counter, 1));
	/* each on lines of its own: two threads write them */
	z->buf_a = bench_line_alloc(z->size);
	z->buf_b = bench_line_alloc(z->size);
	if (!z->buf_a || !z->buf_b)
		return -ENOMEM;
	/* inproc: one context, made before B uses it; ipc: A's own, made
	 * after the fork, so the child never inherits a live one */
	if (z->inproc && !(z->ctx_a = zmq.ctx_new()))
		return -ENOMEM;
	rc = pt_unit_spawn(&opts, side_b, z, &z->unit);
	if (rc)
		return rc;
	if (!z->inproc && !(z->ctx_a = zmq.ctx_new()))
		return -ENOMEM;
	/* inproc needs the bind before the connect */
	while (z->inproc && !atomic_load(&z->bound))
		sched_yield();
	z->sock = make_socket(z->ctx_a);
	if (!z->sock || zmq.connect(z->sock, z->ep))
		return -ECONNREFUSED;
	return 0;
}

static void zteardown(void *arg)
{
	struct zpeer *z = arg;
	struct pt_status st;

	if (z->sock) {
		zmq.send(z->sock, "", 0, 0);
		if (z->unit && pt_unit_join(z->unit, 5000, &st) == -ETIMEDOUT &&
		    z->kind == PT_KIND_PROCESS)
			pt_unit_kill(z->unit, 9);
		zmq.close(z->sock);
		z->sock = NULL;
	} else if (z->unit && z->kind == PT_KIND_PROCESS) {
		pt_unit_kill(z->unit, 9);
	}
	pt_unit_destroy(z->unit); /* a thread still waiting: cancelled */
	z->unit = NULL;
	if (z->ctx_a)
		zmq.ctx_term(z->ctx_a);
	z->ctx_a = NULL;
	if (!z->inproc)
		unlink(z->ep + strlen("ipc://"));
	free(z->buf_a);
	free(z->buf_b);
	z->buf_a = z->buf_b = NULL;
}

static int zrun_latency(void *arg, uint64_t n)
{
	struct zpeer *z = arg;

	for (uint64_t i = 0; i < n; i++) {
		z->buf_a[0] = 1; /* never a zero-length stop */
		if (zmq.send(z->sock, z->buf_a, z->size, 0) != (int)z->size ||
		    zmq.recv(z->sock, z->buf_a, z->size, 0) != (int)z->size)
			return -EIO;
	}
	return 0;
}

static int zrun_throughput(void *arg, uint64_t n)
{
	struct zpeer *z = arg;
	uint64_t total = n * z->per_call, acked = 0;

	for (uint64_t i = 0; i < total; i++) {
		uint64_t hdr = z->seq | (i + 1 == total ? ACK_FLAG : 0);

		memcpy(z->buf_a, &hdr, sizeof(hdr));
		if (z->size > sizeof(hdr))
			z->buf_a[z->size - 1] = (unsigned char)z->seq;
		if (zmq.send(z->sock, z->buf_a, z->size, 0) != (int)z->size)
			return -EIO;
		z->seq++;
	}
	if (zmq.recv(z->sock, &acked, sizeof(acked), 0) != sizeof(acked) ||
	    acked != z->seq)
		return -EBADMSG;
	return 0;
}

static int zcase(struct bench_ctx *ctx, bool latency, bool inproc,
		 enum pt_kind kind, size_t size)
{
	const struct bench_param params[] = {
		BENCH_STR("transport", inproc ? "zmq-inproc" : "zmq-ipc"),
		BENCH_INT("size", size),
		BENCH_STR("mode", latency ? "latency" : "throughput"),
		BENCH_STR("wait", "block"),
	};
	struct zpeer z = { .latency = latency,
			   .inproc = inproc,
			   .kind = kind,
			   .size = size < 8 ? 8 : size };
	size_t per = ((size_t)16 << 20) / z.size;
	struct bench_case c = {
		.name = latency ? "latency" : "throughput",
		.kind = kind == PT_KIND_THREAD ? BENCH_THREAD : BENCH_PROCESS,
		.place = BENCH_CROSS_CPU,
		BENCH_PARAMS(params),
		.peer = "zeromq",
		.setup = zsetup,
		.run = latency ? zrun_latency : zrun_throughput,
		.teardown = zteardown,
		.arg = &z,
	};

	z.per_call = (unsigned)(per < 16 ? 16 : per > 16384 ? 16384 : per);
	if (!latency) {
		c.unit = "msgs/s";
		c.twins[0] = (struct bench_twin){ .name = "throughput-bytes",
						  .unit = "B/s",
						  .scale = (double)z.size };
		c.ops_per_call = z.per_call;
	}
	return bench_measure(ctx, &c);
}

int peer_zeromq(struct bench_ctx *ctx)
{
	static const size_t quick[] = { 64, 1 << 20 };
	static const size_t all[] = { 8, 64, 512, 4096, 65536, 1 << 20 };
	bool q = bench_profile(ctx) == BENCH_QUICK;
	const size_t *sizes = q ? quick : all;
	size_t n = q ? 2 : 6;
	int rc = 0;

	if (!load()) {
		bench_note(ctx, "ipc: ZeroMQ not installed (libzmq.so.5); "
				"'scripts/bootstrap.sh --optional' adds it");
		return 0;
	}
	if (!bench_has_two_cpus(ctx)) {
		bench_note(ctx, "ipc: one usable CPU; ZeroMQ peers skipped");
		return 0;
	}
	for (size_t s = 0; s < n; s++) {
		for (int latency = 1; latency >= 0; latency--) {
			/* the quick profile: latency at 64 bytes only */
			if (q && latency && sizes[s] != 64)
				continue;
			if (zcase(ctx, latency, false, PT_KIND_PROCESS,
				  sizes[s]) ||
			    zcase(ctx, latency, false, PT_KIND_THREAD,
				  sizes[s]) ||
			    zcase(ctx, latency, true, PT_KIND_THREAD, sizes[s]))
				rc = -1;
		}
	}
	return rc;
}
