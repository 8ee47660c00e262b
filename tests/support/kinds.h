/* kinds.h - which unit kinds the loop tests run (tcase_add_loop_test over
 * PT_KIND_THREAD .. pt_test_kinds_end()). */
#ifndef PT_TEST_KINDS_H
#define PT_TEST_KINDS_H

#include <stdbool.h>

/* One past the last kind to run: PT_KIND_PROCESS + 1, or PT_KIND_THREAD + 1
 * when the environment says PT_TEST_KINDS=thread. scripts/valgrind.sh sets it:
 * valgrind 3.19 (Debian 12) does not know pidfd_open or
 * pidfd_send_signal, so no process unit can start under it. Tests that
 * only make sense for processes carry the Check tag "process", which the
 * same script excludes with CK_EXCLUDE_TAGS. */
int pt_test_kinds_end(void);

/* Whether this program runs under valgrind, which runs one thread at a
 * time and switches only when a time slice ends: a thread that spins
 * waiting for another then costs a whole slice per wait. */
bool pt_test_under_valgrind(void);

#endif
