/* units.c - starting and ending a test's units (units.h). */
#include "support/units.h"
#include "support/test.h"

#include <procthread/error.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

pt_unit *pt_test_spawn_opts(const struct pt_unit_opts *opts, pt_unit_fn *fn,
			    void *arg)
{
	pt_unit *unit = NULL;
	int rc = pt_unit_spawn(opts, fn, arg, &unit);

	ck_assert_msg(rc == 0, "spawn: %s", pt_strerror(rc));
	ck_assert_ptr_nonnull(unit);
	return unit;
}

pt_unit *pt_test_spawn(enum pt_kind kind, pt_unit_fn *fn, void *arg)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = kind);

	return pt_test_spawn_opts(&opts, fn, arg);
}

void pt_test_join_ok(pt_unit *unit)
{
	struct pt_status st;

	ck_assert_int_eq(pt_unit_join(unit, -1, &st), 0);
	ck_assert_msg(st.how == PT_EXIT_RETURNED && st.code == 0,
		      "unit ended %s code %d", pt_exit_name(st.how), st.code);
	pt_unit_destroy(unit);
}

void *pt_test_map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p; /* anonymous mappings start zeroed */
}

void pt_test_unmap_shared(void *p, size_t len)
{
	munmap(p, len);
}

int pt_test_wait_for_cancel(void *arg)
{
	(void)arg;
	while (!pt_cancelled())
		usleep(1000);
	return 3;
}

int pt_test_burn_cpu(void *arg)
{
	volatile uint64_t x = 0;
	uint64_t until = pt_test_now_ns() + 50000000u;

	(void)arg;
	while (pt_test_now_ns() < until)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
	return 0;
}

int pt_test_crash_segv(void *arg)
{
	volatile char *page;

	(void)arg;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	return 0;
}

int pt_test_crash_abort(void *arg)
{
	(void)arg;
	abort();
}
