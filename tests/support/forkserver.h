/* forkserver.h - ending the fork-server from outside, as a fault. */
#ifndef PT_TEST_FORKSERVER_H
#define PT_TEST_FORKSERVER_H

/* Whether process pid's name (comm) begins with name. */
int pt_test_comm_is(int pid, const char *name);

/* The pid of the running server's standby twin (its child named
 * pt-fs-standby), waiting up to 10 s for it to be forked; 0 if none. */
int pt_test_forkserver_twin(void);

/* Kills the fork-server and its twin with SIGKILL, so that no twin takes
 * over and nothing can be forked through it any more; returns once both
 * have ended. Returns 0 or -errno. */
int pt_test_kill_forkserver_for_good(void);

#endif
