/* ring_support.h - what the ring's test programs (ring*.c) and the
 * channels' stress and members programs share. */
#ifndef PT_TEST_RING_SUPPORT_H
#define PT_TEST_RING_SUPPORT_H

#include <procthread.h>

#include <stddef.h>
#include <stdint.h>

/* A channel of transport t between units of kind, failing the test when it
 * cannot be made. */
pt_chan *ring_make(enum pt_chan_transport t, enum pt_kind kind, size_t max_msg,
		   uint32_t capacity, unsigned flags);

/* A message: who sent it, and its number among that sender's. */
struct stress_msg {
	uint32_t producer;
	uint32_t seq;
};

#endif
