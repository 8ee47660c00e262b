/* sandbox_support.h - what the sandbox's test programs share: the ways a
 * loop test forks its process units, one per loop index. */
#ifndef PT_TEST_SANDBOX_SUPPORT_H
#define PT_TEST_SANDBOX_SUPPORT_H

/* Rows of via_cases: forked directly, forked by the fork-server. */
#define N_VIA_CASES 2

/* The fork_via of row i (PT_UNIT_FORK_DIRECT or PT_UNIT_FORK_SERVER); the
 * row's name is the test's case (pt_test_case()). */
int via_case(int i);

#endif
