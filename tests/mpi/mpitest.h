/* mpitest.h - a tiny harness for tests that run as every rank of one
 * mpirun (tests/mpi/run.sh starts them). Check cannot serve here: it forks
 * a process per test, and a forked child cannot use its parent's MPI.
 *
 * Every rank runs every case in the same order; a failed check prints
 * where and why, then MPI_Abort()s the job, so mpirun exits non-zero and
 * CTest sees the failure. Ranks pair up, r with r ^ 1, in the communicator
 * mpt_pair (a rank left without a partner sits the pair cases out). */
#ifndef PT_MPITEST_H
#define PT_MPITEST_H

#include <procthread.h>
#include <procthread/mpi.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

extern int mpt_rank, mpt_size; /* in MPI_COMM_WORLD */
extern MPI_Comm mpt_pair;      /* this rank and its partner, or NULL comm */
extern int mpt_pair_rank;      /* 0 or 1 in mpt_pair */

#define MPT_CHECK(cond, ...)                                                   \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "rank %d: %s:%d: %s: ", mpt_rank,      \
				__FILE__, __LINE__, #cond);                    \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			MPI_Abort(MPI_COMM_WORLD, 1);                          \
		}                                                              \
	} while (0)

/* rc == want, naming both as errors when not. */
#define MPT_RC(rc, want)                                                       \
	do {                                                                   \
		int mpt_rc_ = (rc), mpt_want_ = (want);                        \
		MPT_CHECK(mpt_rc_ == mpt_want_, "got %d (%s), want %d (%s)",   \
			  mpt_rc_, pt_strerror(mpt_rc_), mpt_want_,            \
			  pt_strerror(mpt_want_));                             \
	} while (0)

/* Initialises MPI (MPI_THREAD_MULTIPLE) and the pairs. */
void mpt_init(int *argc, char ***argv);

/* Runs one case on every rank, with barriers around it; prints its name
 * on rank 0. */
void mpt_run(const char *name, void (*fn)(void));

/* The same, fn running only on ranks with a partner. */
void mpt_run_pair(const char *name, void (*fn)(void));

/* Finalises; returns the exit status for main. */
int mpt_finish(void);

static inline uint64_t mpt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
