/* server_support.h - what the fork-server's test programs share: starting
 * and stopping it (failing the test when that fails), its children, its
 * twin, and joining a unit. */
#ifndef PT_TEST_SERVER_SUPPORT_H
#define PT_TEST_SERVER_SUPPORT_H

#include <procthread.h>

void server_up(void);
void server_down(void);
int children_of(int pid, int *twin);
int twin_of(int pid);
int server_children(void);
void await_end(int pid);
struct pt_status join_destroy(pt_unit *unit);

/* A thread that pauses for ever; and units: echo_arg sets its argument
 * string as the result (returns 99 without one), exit_0 returns 0. */
void *idle_thread(void *arg);
int echo_arg(void *arg);
int exit_0(void *arg);

#endif
