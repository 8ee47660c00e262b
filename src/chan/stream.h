/* stream.h - messages over a byte stream (pipe, UNIX stream socket, TCP):
 * the framing the three stream transports share. */
#ifndef PT_CHAN_STREAM_H
#define PT_CHAN_STREAM_H

#include "chan/chan_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt__stream {
	int rfd; /* both non-blocking and close-on-exec */
	int wfd;
	bool socket; /* write with send(MSG_NOSIGNAL) */
	/* the largest frame the kernel writes all or nothing */
	size_t atomic_max;
	size_t max_msg;
	/* receiving: bytes read ahead, and a header whose payload is next */
	unsigned char *rx;
	size_t rx_cap;
	size_t rx_head;
	size_t rx_tail;
	bool have_hdr;
	uint32_t msg_len;
	bool eof;    /* the end marker was read */
	bool broken; /* a header out of bounds was read */
	int torn;    /* the error that cut a frame short */
	/* receiving: the payload bytes of the current frame read by a call
	 * that timed out, for the next call to resume from (max_msg bytes,
	 * allocated when a frame first has to wait) */
	unsigned char *part;
	size_t part_got;
	/* sending: the rest of a frame a call began and could not finish
	 * in time, sent first by the next call (max_msg + 4 bytes,
	 * allocated before a frame that may be cut short is begun) */
	unsigned char *tx;
	size_t tx_off;
	size_t tx_len;
};

/* Makes chan->impl a stream over rfd/wfd (taken: closed on failure too),
 * with the closed flag. atomic_max: the largest frame a non-blocking write
 * of wfd never cuts short (0: none is). Returns 0 or -errno. */
int pt__stream_create(pt_chan *chan, int rfd, int wfd, bool socket,
		      size_t atomic_max);

/* The ops of every stream transport but create. */
int pt__stream_send(pt_chan *chan, const void *buf, size_t len,
		    const struct pt__wait *wait);
int pt__stream_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		    const struct pt__wait *wait);
int pt__stream_close(pt_chan *chan);
void pt__stream_destroy(pt_chan *chan);

#define PT__STREAM_OPS(create_fn)                                              \
	{                                                                      \
		.create = (create_fn), .send = pt__stream_send,                \
		.recv = pt__stream_recv, .close = pt__stream_close,            \
		.destroy = pt__stream_destroy,                                 \
	}

#endif
