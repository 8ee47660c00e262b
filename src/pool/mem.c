/* mem.c - a pool's reusable blocks and its arena of in-place tasks (see
 * mem.h). */
#include "pool/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* What a block keeps before the bytes it hands out: its class, and room
 * that keeps those bytes 16-byte aligned. */
#define BLOCK_HEAD 16

/* Bytes each class may keep idle: enough for a pipeline of tasks, bounded
 * so that a burst of large results does not stay resident. */
#define CLASS_KEEP_BYTES ((size_t)8 << 20)
#define CLASS_KEEP_MAX	 64

static size_t page_up(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

static int make_arena(struct pt__pool_mem *m, unsigned nslots, size_t arg_max,
		      size_t res_max)
{
	m->arg_cap = page_up(arg_max ? arg_max : 1);
	m->slot_bytes = m->arg_cap + page_up(res_max ? res_max : 1);
	m->bytes = m->slot_bytes * nslots;
	m->free = malloc(nslots * sizeof(*m->free));
	if (!m->free)
		return -ENOMEM;
	m->fd = memfd_create("pt-pool-arena", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)m->bytes) < 0)
		return -errno;
	m->base = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return -errno;
	}
	/* Lowest index on top: the same few slots, and their faulted-in
	 * pages, serve a caller that keeps few tasks in flight. */
	for (unsigned k = 0; k < nslots; k++)
		m->free[k] = nslots - 1 - k;
	m->nslots = m->nfree = nslots;
	return 0;
}

static void mem_free_all(struct pt__pool_mem *m)
{
	for (unsigned c = 0; c < PT__MEM_CLASSES; c++)
		while (m->blocks[c]) {
			void **b = m->blocks[c];

			m->blocks[c] = *b;
			free(b);
		}
	if (m->base)
		munmap(m->base, m->bytes);
	if (m->fd >= 0)
		close(m->fd);
	free(m->free);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->freed);
	free(m);
}

int pt__mem_create(unsigned nslots, size_t arg_max, size_t res_max,
		   struct pt__pool_mem **out)
{
	struct pt__pool_mem *m = calloc(1, sizeof(*m));
	int rc = 0;

	if (!m)
		return -ENOMEM;
	atomic_init(&m->refs, 1);
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->freed, NULL);
	if (nslots)
		rc = make_arena(m, nslots, arg_max, res_max);
	if (rc) {
		mem_free_all(m);
		return rc;
	}
	*out = m;
	return 0;
}

void pt__mem_get(struct pt__pool_mem *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void pt__mem_put(struct pt__pool_mem *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		mem_free_all(m);
}

static unsigned class_of(size_t len)
{
	unsigned c = 0;

	while (c + 1 < PT__MEM_CLASSES && ((size_t)64 << c) < len)
		c++;
	return c;
}

void *pt__mem_alloc(struct pt__pool_mem *m, size_t len)
{
	unsigned c = class_of(len + BLOCK_HEAD);
	unsigned char *b;

	if (len + BLOCK_HEAD > ((size_t)64 << c))
		return NULL; /* beyond every class: never asked for */
	pthread_mutex_lock(&m->lock);
	b = m->blocks[c];
	if (b) {
		m->blocks[c] = *(void **)b;
		m->nblocks[c]--;
	}
	pthread_mutex_unlock(&m->lock);
	if (!b)
		b = malloc((size_t)64 << c);
	if (!b)
		return NULL;
	b[0] = (unsigned char)c;
	return b + BLOCK_HEAD;
}

void pt__mem_free(struct pt__pool_mem *m, void *p)
{
	unsigned char *b;
	unsigned c;
	size_t keep;

	if (!p)
		return;
	b = (unsigned char *)p - BLOCK_HEAD;
	c = b[0];
	/* Up to CLASS_KEEP_BYTES of a class, at least two blocks (the
	 * largest classes hold more than it), at most CLASS_KEEP_MAX. */
	keep = ((size_t)64 << c) * 2 > CLASS_KEEP_BYTES
		       ? 2
		       : CLASS_KEEP_BYTES / ((size_t)64 << c);
	if (keep > CLASS_KEEP_MAX)
		keep = CLASS_KEEP_MAX;
	pthread_mutex_lock(&m->lock);
	if (m->nblocks[c] < keep) {
		*(void **)b = m->blocks[c];
		m->blocks[c] = b;
		m->nblocks[c]++;
		b = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	free(b);
}

int pt__mem_slot_take(struct pt__pool_mem *m, bool wait)
{
	int rc;

	if (!m->nslots)
		return -ENOTSUP;
	pthread_mutex_lock(&m->lock);
	while (!m->closed && m->nfree == 0 && wait)
		pthread_cond_wait(&m->freed, &m->lock);
	if (m->closed)
		rc = -ESHUTDOWN;
	else if (m->nfree == 0)
		rc = -EAGAIN;
	else
		rc = (int)m->free[--m->nfree];
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void pt__mem_slot_give(struct pt__pool_mem *m, unsigned slot)
{
	pthread_mutex_lock(&m->lock);
	m->free[m->nfree++] = slot;
	pthread_cond_signal(&m->freed);
	pthread_mutex_unlock(&m->lock);
}

void pt__mem_close(struct pt__pool_mem *m)
{
	pthread_mutex_lock(&m->lock);
	m->closed = true;
	pthread_cond_broadcast(&m->freed);
	pthread_mutex_unlock(&m->lock);
}
