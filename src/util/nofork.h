/* nofork.h - memory this process's forks leave behind.
 *
 * A fork copies every mapping of the process: its page tables, write-
 * protected on both sides, so that each later write by either side costs
 * a page fault (and, while the parent's threads run on other CPUs, a TLB
 * shoot-down). A process pool forks one worker per slot while the slots'
 * proxy threads run; each fork used to copy every proxy's stack, and
 * glibc's child marks every thread descriptor it inherited - one written
 * page per proxy in each child - so starting n workers cost O(n^2).
 * Memory marked MADV_DONTFORK is not copied; these helpers keep the marking
 * safe while other threads fork. */
#ifndef PT_UTIL_NOFORK_H
#define PT_UTIL_NOFORK_H

#include <pthread.h>
#include <stddef.h>

/* Holds every fork() of this process off (shared; any number of threads
 * may hold it) until pt__nofork_leave(): for work that must not be cut in
 * two by a fork, such as mapping memory and then marking it
 * MADV_DONTFORK - a child forked in between would keep it. fork() takes
 * the guard exclusive (pthread_atfork()); a waiting fork goes first. */
void pt__nofork_enter(void);
void pt__nofork_leave(void);

/* A thread whose stack - and glibc's descriptor and static TLS of it, which
 * live in the same block - no fork copies (except in AddressSanitizer
 * builds, nofork.c says why). Such a thread must never call fork()
 * itself (its child would have no stack); it may ask another thread to. */
struct pt__nofork_thread {
	pthread_t id;
	void *map; /* the stack's block, a guard page at its low end */
	size_t map_bytes;
};

/* Starts fn(arg) on such a thread, with the default thread stack size.
 * Returns 0 or -errno (-ENOMEM, -EAGAIN). */
int pt__nofork_thread_start(struct pt__nofork_thread *t, void *(*fn)(void *),
			    void *arg);

/* Joins t and unmaps its stack. The join frees glibc's descriptor of the
 * thread - unlinking it from a list that a child of a fork at that moment
 * would repair by writing into it - so the join is made under the guard,
 * one millisecond of waiting at a time, never holding a fork off longer. */
void pt__nofork_thread_join(struct pt__nofork_thread *t);

#endif
