/* fuzz_ring.c - libFuzzer target: the shared-memory ring read by a side
 * that trusts nothing the other side wrote.
 *
 * A ring is laid out properly, then the input overwrites its shared block:
 * everything after the creator's geometry, or (first byte's top bit) the
 * whole block, header included. A view attached with the geometry this
 * process knows (SPSC views sleepless when the first byte's bit 6 says so)
 * then sends, receives, peeks and releases in the order the input says. Every
 * call must return one of its documented results, stay inside the block (ASan),
 * and return: a ring that cannot make progress must say -EBADMSG or -EAGAIN,
 * never spin (libFuzzer's -timeout). */
#include "chan/ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The creator's geometry in the header: magic, capacity, max_msg, flags. */
#define GEOMETRY_BYTES 28
#define OPS	       64
/* The process id this side claims MPMC slots under. */
#define SELF 1000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc)
{
	if (rc != 0 && rc != -EAGAIN && rc != -ESHUTDOWN && rc != -EBADMSG &&
	    rc != -EMSGSIZE && rc != -EINVAL)
		abort();
}

static void run_ops(struct pt__ring *ring, const uint8_t *ops, size_t n,
		    uint64_t max_msg)
{
	unsigned char buf[256];
	struct pt_chan_msg msg;
	bool wake = false;
	size_t len;
	int rc;

	for (size_t i = 0; i < OPS && i < n; i++) {
		switch (ops[i] & 3) {
		case 0: /* a receive with room for any message */
		case 1: /* and one with room for 4 bytes */
			len = SIZE_MAX;
			rc = pt__ring_try_recv(ring, buf,
					       ops[i] & 1 ? 4 : max_msg, &len,
					       SELF, &wake);
			check(rc);
			if (rc == 0 && len > (ops[i] & 1 ? 4 : max_msg))
				abort();
			break;
		case 2: /* zero-copy: peek, then release */
			memset(&msg, 0, sizeof(msg));
			rc = pt__ring_try_peek(ring, &msg, SELF, &wake);
			check(rc);
			if (rc == 0) {
				if (msg.len > max_msg)
					abort();
				/* Touch every byte the view hands out. */
				memcpy(buf, msg.data, msg.len);
				check(pt__ring_release(ring, &msg, &wake));
			}
			break;
		default: /* a send, of a length the input picks */
			len = (size_t)(ops[i] >> 2) * 2;
			memset(buf, 0xa5, sizeof(buf));
			check(pt__ring_try_send(ring, buf, len, SELF, &wake));
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt__ring creator, reader;
	uint64_t capacity, max_msg;
	size_t bytes, off;
	bool mpmc, whole, sleepless;
	void *mem;

	if (size < 2)
		return 0;
	mpmc = data[0] & 1;
	capacity = (uint64_t)2 << ((data[0] >> 1) & 3);	   /* 2 .. 16 */
	max_msg = (uint64_t)((data[0] >> 3) & 7) * 16 + 8; /* 8 .. 120 */
	whole = data[0] & 0x80;
	sleepless = data[0] & 0x40; /* SPSC publishes without the wake-up */
	bytes = pt__ring_bytes(capacity, max_msg);
	mem = aligned_alloc(PT__RING_LINE, (bytes + PT__RING_LINE -
					    1) & ~(size_t)(PT__RING_LINE - 1));
	if (!mem)
		return 0;
	memset(mem, 0, bytes);
	pt__ring_init(&creator, mem, capacity, max_msg, mpmc);

	/* data[1] says how many input bytes are operations; the rest is
	 * written over the block. */
	off = whole ? 0 : GEOMETRY_BYTES;
	{
		size_t nops = data[1] % (OPS + 1);
		const uint8_t *ops = data + 2;
		const uint8_t *fill = ops + nops;
		size_t nfill;

		if (nops > size - 2)
			nops = size - 2;
		fill = ops + nops;
		nfill = size - 2 - nops;
		if (nfill > bytes - off)
			nfill = bytes - off;
		memcpy((unsigned char *)mem + off, fill, nfill);
		if (pt__ring_attach(&reader, mem, bytes, capacity, max_msg,
				    mpmc) == 0) {
			reader.sleepless = sleepless;
			run_ops(&reader, ops, nops, max_msg);
		}
	}
	free(mem);
	return 0;
}
