/* shm_of.h - /dev/shm and /dev/mqueue entries one process made.
 *
 * The ledger's shm field counts all of /dev/shm, which other programs on
 * the machine (other test programs run in parallel, other users) change at
 * any time; tests that must tell "nothing of ours is left" count the
 * entries named the way procthread names them for a given pid. */
#ifndef PT_TEST_SHM_OF_H
#define PT_TEST_SHM_OF_H

/* Entries of /dev/shm named "procthread-<pid>-..." (named regions) and of
 * /dev/mqueue named "procthread-mq-<pid>-..." (message queues, which the
 * library unlinks at once). */
int pt_shm_entries_of(int pid);

#endif
