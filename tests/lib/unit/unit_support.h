/* unit_support.h - what the unit's test programs (unit*.c) share. */
#ifndef PT_TEST_UNIT_SUPPORT_H
#define PT_TEST_UNIT_SUPPORT_H

#include <procthread.h>

/* Spawns fn(arg) as a unit of kind, joins it and returns its status,
 * failing the test when either call fails. */
struct pt_status run_unit(enum pt_kind kind, pt_unit_fn *fn, void *arg);

/* A unit that returns 42. */
int return_42(void *arg);

/* Runs body(arg) in a forked child and returns its wait status. */
int in_sacrificial_process(void (*body)(void *), void *arg);

#endif
