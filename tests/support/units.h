/* units.h - starting and ending the units a test runs, failing the test
 * (Check) when that goes wrong; and the unit bodies several programs run. */
#ifndef PT_TEST_UNITS_H
#define PT_TEST_UNITS_H

#include <procthread/unit.h>

#include <stddef.h>

/* Spawns fn(arg) with opts; fails the test when spawn does. */
pt_unit *pt_test_spawn_opts(const struct pt_unit_opts *opts, pt_unit_fn *fn,
			    void *arg);

/* Spawns fn(arg) as a unit of kind with default options. */
pt_unit *pt_test_spawn(enum pt_kind kind, pt_unit_fn *fn, void *arg);

/* Joins unit, fails the test unless it returned 0, and destroys it. */
void pt_test_join_ok(pt_unit *unit);

/* len zeroed bytes that a test and every process it forks share (one
 * anonymous shared mapping); fails the test when it cannot be mapped.
 * pt_test_unmap_shared() lets it go. */
void *pt_test_map_shared(size_t len);
void pt_test_unmap_shared(void *p, size_t len);

/* Bodies several programs run as units: */
int pt_test_wait_for_cancel(void *arg); /* returns 3 once cancelled */
int pt_test_burn_cpu(void *arg);    /* spins on the CPU for 50 ms, returns 0 */
int pt_test_crash_segv(void *arg);  /* touches a PROT_NONE page */
int pt_test_crash_abort(void *arg); /* calls abort() */

#endif
