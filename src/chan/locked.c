/* locked.c - the PT_CHAN_LOCKED transport: a queue of fixed-size slots
 * guarded by one mutex, with two condition variables (not empty, not full).
 *
 * This is the "shared variables" baseline of the benchmark: what two
 * threads of one program do without a purpose-built channel. It lives in
 * ordinary process memory, so it is for threads only (kind PT_KIND_THREAD;
 * pt_chan_create() refuses it for processes with -ENOTSUP), and many
 * producers and consumers are allowed as the lock serializes them. The
 * condition variables use CLOCK_MONOTONIC, so timeouts ignore wall-clock
 * changes.
 */
#include "chan/chan_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CAPACITY 64

struct locked {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	unsigned char *slots; /* capacity * max_msg bytes */
	size_t *lens;
	size_t capacity;
	size_t max_msg;
	size_t head; /* the oldest message */
	size_t count;
	bool closed;
};

static struct locked *impl(pt_chan *chan)
{
	return chan->impl;
}

static int init_sync(struct locked *l)
{
	pthread_condattr_t ca;
	int rc;

	rc = pthread_condattr_init(&ca);
	if (rc)
		return -rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&l->not_empty, &ca);
	if (!rc) {
		rc = pthread_cond_init(&l->not_full, &ca);
		if (rc)
			pthread_cond_destroy(&l->not_empty);
	}
	pthread_condattr_destroy(&ca);
	if (!rc) {
		rc = pthread_mutex_init(&l->mu, NULL);
		if (rc) {
			pthread_cond_destroy(&l->not_empty);
			pthread_cond_destroy(&l->not_full);
		}
	}
	return -rc;
}

static int locked_create(pt_chan *chan)
{
	struct locked *l = calloc(1, sizeof(*l));
	int rc = -ENOMEM;

	if (!l)
		return -ENOMEM;
	if (!chan->opts.capacity)
		chan->opts.capacity = DEFAULT_CAPACITY;
	l->capacity = chan->opts.capacity;
	l->max_msg = chan->opts.max_msg_bytes;
	if (l->max_msg > SIZE_MAX / l->capacity)
		goto err_free;
	l->slots = malloc(l->capacity * l->max_msg);
	l->lens = calloc(l->capacity, sizeof(*l->lens));
	if (!l->slots || !l->lens)
		goto err_free;
	rc = init_sync(l);
	if (rc)
		goto err_free;
	chan->impl = l;
	return 0;

err_free:
	free(l->slots);
	free(l->lens);
	free(l);
	return rc;
}

static void locked_destroy(pt_chan *chan)
{
	struct locked *l = impl(chan);

	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->not_empty);
	pthread_cond_destroy(&l->not_full);
	free(l->slots);
	free(l->lens);
	free(l);
}

/* Waits on cond with the mutex held. Returns 0 when woken (the caller
 * re-checks), -EAGAIN or -ETIMEDOUT. */
static int wait_on(struct locked *l, pthread_cond_t *cond,
		   const struct pt__wait *wait)
{
	struct timespec ts;
	int rc;

	if (wait->nowait)
		return -EAGAIN;
	if (!wait->deadline_ns)
		return -pthread_cond_wait(cond, &l->mu);
	ts.tv_sec = (time_t)(wait->deadline_ns / 1000000000u);
	ts.tv_nsec = (long)(wait->deadline_ns % 1000000000u);
	rc = pthread_cond_timedwait(cond, &l->mu, &ts);
	return -rc;
}

static int locked_send(pt_chan *chan, const void *buf, size_t len,
		       const struct pt__wait *wait)
{
	struct locked *l = impl(chan);
	size_t slot;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	while (!l->closed && l->count == l->capacity && rc == 0)
		rc = wait_on(l, &l->not_full, wait);
	if (l->closed) {
		rc = -ESHUTDOWN;
	} else if (l->count < l->capacity) {
		slot = (l->head + l->count) % l->capacity;
		if (len)
			memcpy(l->slots + slot * l->max_msg, buf, len);
		l->lens[slot] = len;
		l->count++;
		pthread_cond_signal(&l->not_empty);
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int locked_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		       const struct pt__wait *wait)
{
	struct locked *l = impl(chan);
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	while (!l->closed && l->count == 0 && rc == 0)
		rc = wait_on(l, &l->not_empty, wait);
	if (l->count > 0) {
		n = l->lens[l->head];
		*len = n;
		if (n > cap) {
			rc = -EMSGSIZE;
		} else {
			if (n)
				memcpy(buf, l->slots + l->head * l->max_msg, n);
			l->head = (l->head + 1) % l->capacity;
			l->count--;
			pthread_cond_signal(&l->not_full);
			rc = 0;
		}
	} else if (l->closed) {
		rc = -ESHUTDOWN;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int locked_close(pt_chan *chan)
{
	struct locked *l = impl(chan);
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (l->closed)
		rc = -EALREADY;
	l->closed = true;
	pthread_cond_broadcast(&l->not_empty);
	pthread_cond_broadcast(&l->not_full);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

const struct pt__chan_ops pt__chan_locked_ops = {
	.create = locked_create,
	.send = locked_send,
	.recv = locked_recv,
	.close = locked_close,
	.destroy = locked_destroy,
};
