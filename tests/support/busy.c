/* busy.c - threads that hold locks, for the fork-from-a-threaded-parent
 * tests. */
#include "support/busy.h"

#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_int stop_busy;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

static void *busy_thread(void *arg)
{
	FILE *sink = arg;
	unsigned n = 0;

	while (!atomic_load_explicit(&stop_busy, memory_order_relaxed)) {
		void *p = malloc(64 + (n++ % 4096));

		pthread_mutex_lock(&busy_lock);
		fprintf(sink, "%u %p\n", n, p);
		pthread_mutex_unlock(&busy_lock);
		free(p);
	}
	return NULL;
}

void pt_busy_start(struct pt_busy *b)
{
	atomic_store(&stop_busy, 0);
	b->sink = fopen("/dev/null", "we");
	ck_assert_ptr_nonnull(b->sink);
	for (int i = 0; i < PT_BUSY_THREADS; i++)
		ck_assert_int_eq(pthread_create(&b->threads[i], NULL,
						busy_thread, b->sink),
				 0);
}

void pt_busy_stop(struct pt_busy *b)
{
	atomic_store(&stop_busy, 1);
	for (int i = 0; i < PT_BUSY_THREADS; i++)
		pthread_join(b->threads[i], NULL);
	fclose(b->sink);
}

int pt_busy_use_locks(void)
{
	char *p = malloc(1000);
	FILE *f = fopen("/dev/null", "we");

	if (!p || !f) {
		free(p);
		if (f)
			fclose(f);
		return 1;
	}
	fprintf(f, "%p", (void *)p);
	fclose(f);
	pthread_mutex_lock(&busy_lock);
	pthread_mutex_unlock(&busy_lock);
	free(p);
	return 0;
}
