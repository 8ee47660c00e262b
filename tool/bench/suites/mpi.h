/* mpi.h (bench) - the benchmark's MPI side: `procthread bench` run as the
 * ranks of one mpirun measures what leaving shared memory costs.
 *
 *   mpirun --bind-to none -np 2 procthread bench ipc pool
 *
 * Rank 0 runs the benchmark as usual and adds the MPI cases, with
 * transport "mpi": PT_CHAN_MPI in the ipc suite, beside the ring and the
 * pipe, and a pool of ranks in the pool suite, beside the pools of
 * threads and of processes. Every other rank serves them: it
 * waits for rank 0's orders and plays side B. --bind-to none keeps
 * mpirun from binding rank 0 to one core, which would hide the second
 * CPU from the cross-CPU cases.
 *
 * Built with MPI only when procthread_mpi was (PT_HAVE_MPI); otherwise
 * these do nothing and no MPI case is offered.
 */
#ifndef TOOL_BENCH_SUITES_MPI_H
#define TOOL_BENCH_SUITES_MPI_H

#include <procthread/chan.h>
#include <procthread/pool.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At the start of `procthread bench`: under mpirun, initialises MPI. A
 * rank other than 0 then serves until rank 0 is done and returns 1 (its
 * work is over; -errno when it failed); rank 0, or a run outside mpirun,
 * gets 0 and goes on. */
int bench_mpi_begin(int *argc, char ***argv);

/* At the end, in rank 0: releases the serving ranks, finalises MPI. */
void bench_mpi_end(void);

/* True in rank 0 of an mpirun with a rank to serve it. */
bool bench_mpi_active(void);

/* One line for a note when the MPI cases cannot run here, or NULL. */
const char *bench_mpi_why_not(void);

/* ipc suite: rank 1 becomes side B of a case: an echo (latency) or a
 * sink that checks every message and acknowledges the last of each call,
 * as bench/suites/ipc.c's side B does, pinned to cpu_b (-1: not pinned).
 * Makes *ab (to rank 1) and *ba (back) with these sizes. Returns 0 or
 * -errno. */
int bench_mpi_ipc_open(bool latency, size_t msg_size, uint32_t capacity,
		       bool spin, int cpu_b, pt_chan **ab, pt_chan **ba);

/* Ends the case side B plays: closes ab and waits for its verdict.
 * Returns 0 or -errno (side B's). The caller destroys the channels. */
int bench_mpi_ipc_close(pt_chan *ab);

/* The ranks that serve rank 0: 0 unless bench_mpi_active(). */
unsigned bench_mpi_serving_ranks(void);

/* A pool of ranks whose registry holds the pool suite's task bodies
 * (bench/workloads/tasks.h), "empty" and "echo". Rank 0 creates it
 * (ordering every serving rank to serve it), with arguments and results of
 * up to bytes; destroys it as usual. Returns as pt_pool_create() (PT_KIND_MPI),
 * -ENOTCONN when not active, -ENOTSUP in a build without MPI. */
int bench_mpi_pool_create(size_t bytes, pt_pool **out);

#ifdef PT_HAVE_MPI
#include <procthread/mpi.h>

/* A serving rank's side of it. */
int bench_mpi_pool_serve(void);
#endif

#endif
