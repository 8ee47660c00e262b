/* procthread/pool.h - a pool of workers, threads or processes, behind one
 * submit/wait API.
 *
 * A task is a function and a copy of its argument bytes; it writes result
 * bytes and returns 0 (ok) or its own error code (failed). The workers run
 * tasks as threads of this process (PT_KIND_THREAD), as worker processes
 * (PT_KIND_PROCESS) or as the other ranks of an MPI job (PT_KIND_MPI, see "MPI
 * ranks" below); the kind is one field of the options, and every call
 * here works for every kind.
 *
 * Process workers receive each argument through a shared-memory channel
 * (procthread/chan.h) and hand the result back through another: bytes are
 * copied, nothing is serialised, and the function pointer is valid in the
 * worker because it runs the same program image. Workers are forked by the
 * fork-server when it runs (procthread/forkserver.h), so a pool can be
 * started and its workers replaced from a program with many threads.
 * Either way a worker holds descriptors 0, 1 and 2 and its own channels'
 * only: none the caller opened, none of another worker's (an initializer
 * opens what the tasks need); nor does it map what the pool made for the
 * other workers.
 *
 * A worker that runs out of tasks spins for a moment before it sleeps -
 * as long as an adaptive channel wait spins, pt_chan_adaptive_spin_ns(),
 * one worker per pool at a time (a process worker in its channel's wait) -
 * so that a task submitted right after is taken without a wake-up. An
 * idle pool costs no CPU past that. While a process pool's recent tasks
 * are short (under 20 us), it keeps no more workers busy than it has CPUs
 * (the creator's affinity at create) and lets the rest sleep; a busy
 * worker whose task has not answered in 1 ms makes way for a sleeping
 * one, and the tasks sent to it behind that one which it has not started
 * go back to the queue, so long tasks after short ones reach every worker
 * at about one per CPU per millisecond.
 *
 * A pool belongs to the process, not to the thread that created it: every
 * worker process is forked by the fork-server or by a thread the pool owns
 * for its whole life, never by the caller's thread, so the creating thread
 * may end and the workers and their tasks go on (Linux ties a child's
 * death signal to the thread that forked it; see procthread/unit.h).
 *
 * Each worker process leads a process group of its own
 * (PT_UNIT_GROUP_OWN): what a task forks and leaves behind is killed when
 * its worker ends - replaced, recycled, or at shutdown, so by the time
 * pt_pool_destroy() returns - and a task's kill(0, sig) reaches its own
 * worker's group, never the pool's process. A descendant that leaves the
 * group (setsid()) is out of the pool's reach.
 *
 * No task is ever lost, and one failure costs one task: a worker process
 * that dies (crash, abort, exit, kill -9) is seen at once through its
 * pidfd; the task it was running resolves as PT_TASK_CRASHED with the exact
 * cause, or is retried if the pool allows; the worker is replaced; nothing
 * else is touched. A crash never breaks the pool (only a failing
 * initializer does, see opts.initializer). The worker also reports a
 * crash itself, before it is gone: it handles SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL and SIGABRT (on an alternate signal stack) by sending its
 * task's result as crashed with that signal, then lets the signal take
 * its default action (a core dump, where enabled, shows the fault); the
 * task resolves without waiting for the kernel to tear the process down,
 * and with spares the dying worker is reaped in the background. An
 * initializer or a task may install its own handlers for these signals;
 * the pool then learns of the crash from the death, as it does of
 * SIGKILL. A thread worker, by
 * contrast, shares the process: a task that crashes or calls exit() in a
 * thread pool ends the whole program - that is the difference the kinds
 * exist to show, not something the pool can mend.
 *
 * Every future resolves exactly once: ok, failed, crashed, timed out,
 * cancelled, shut down, no worker or initializer failed.
 *
 * MPI ranks (PT_KIND_MPI). Rank 0 of a communicator creates the pool with
 * pt_pool_create(); every other rank serves it with pt_mpi_pool_serve()
 * (procthread/mpi.h, in libprocthread_mpi, which libprocthread does not
 * depend on: the backend makes itself known to pt_pool_create() when the
 * program is linked with its code, which a call of pt_mpi_pool_serve()
 * anywhere in the program brings in; without it create returns -ENOTSUP
 * for PT_KIND_MPI). The start is collective: it fails in every rank alike.
 * Function pointers differ between separately started programs, so every rank
 * passes the same registry (opts.tasks) and a task travels as its index; a
 * function outside it is refused (-ENOENT). The workers are the serving ranks
 * (opts.workers is ignored). What differs, and why:
 * - A task running on a rank cannot be stopped: cancelled, past its
 *   deadline or stopped by shutdown, its future resolves at once and the
 *   rank finishes it anyway (as a thread worker does); its late result is
 *   dropped. Its deadline runs from when the rank's previous task came
 *   back.
 * - A dead rank is not replaced (MPI cannot start one), and it is seen
 *   only on this host and only under `mpirun --enable-recovery` (see
 *   "When a rank dies" in procthread/mpi.h): its task is retried on
 *   another rank while opts.retries allow, else resolves as crashed (how,
 *   signal, exit_code 0: the exit status is the launcher's). With no rank
 *   left the pool has no worker: queued tasks resolve PT_TASK_NO_WORKER
 *   (error -EPIPE) and submit returns -ECHILD, for good.
 * - No recycling (max_tasks_per_worker, pt_pool_recycle_worker()): a rank
 *   cannot be replaced, so create refuses max_tasks_per_worker
 *   (-ENOTSUP) and the call returns -ESRCH in a rank's task.
 * - No initializer (-ENOTSUP): a serving rank sets itself up before it
 *   calls pt_mpi_pool_serve(), in its own program.
 * - PT_FUTURE_RUNNING is the task a rank runs or is about to start: one
 *   sent ahead (opts.depth) cannot be told from it until its turn.
 * - result.started_ns is finished_ns less the run time the rank measured
 *   (two hosts' clocks are not compared); worker_pid is the rank's pid on
 *   its own host; stats.worker_tasks[i] counts rank i + 1, restarts are 0.
 * The completion queue, retries, deadlines, cancel, statistics and both
 * shutdowns (PT_POOL_SHUTDOWN_NOWAIT included) work as for the other kinds.
 *
 * All calls return 0 or a negative errno value; see procthread/error.h.
 */
#ifndef PROCTHREAD_POOL_H
#define PROCTHREAD_POOL_H

#include <procthread/common.h>
#include <procthread/unit.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_pool pt_pool;	    /* made by pt_pool_create() */
typedef struct pt_future pt_future; /* made by pt_pool_submit() */

/* Where a task writes its result: data has room for cap bytes (the pool's
 * max_result_bytes); the task sets len (0 when it returns nothing). A len
 * above cap fails the task with -EMSGSIZE and no result bytes, whatever it
 * returned: the pool never passes on a truncated result.
 *
 * A task may instead point data at its own argument (the arg it was
 * given) and set len to at most the argument's length (and cap): its
 * result is then
 * those bytes, as it left them - an echo, or a transform done in place,
 * writes no second copy. For an in-place task (pt_pool_reserve()) the
 * caller then reads the result where it wrote the argument; otherwise the
 * pool copies it as it would from the room. Any other pointer fails the
 * task with -EINVAL, a len beyond the argument or cap with -EMSGSIZE. */
struct pt_task_out {
	void *data;
	size_t cap;
	size_t len;
};

/* A task: reads the len argument bytes at arg (a copy, valid during the
 * call), may write a result to out, and returns 0 for success or its own
 * non-zero error code. pt_cancelled() turns true inside a thread worker's
 * task once it timed out, was cancelled or the pool shuts down. */
typedef int pt_task_fn(const void *arg, size_t len, struct pt_task_out *out);

enum pt_task_status {
	PT_TASK_OK = 1,	   /* returned 0 */
	PT_TASK_FAILED,	   /* returned non-zero: result.error */
	PT_TASK_CRASHED,   /* its worker process died while running it */
	PT_TASK_TIMED_OUT, /* ran past opts.task_timeout_ms */
	PT_TASK_CANCELLED, /* pt_future_cancel() */
	PT_TASK_SHUTDOWN,  /* the pool shut down before it finished */
	/* No worker process of the pool could be started (see
	 * pt_pool_submit()): result.error is the spawn error. */
	PT_TASK_NO_WORKER,
	/* The pool's initializer failed in a worker (opts.initializer): the
	 * task never ran. result.error is the initializer's return value, or
	 * 0 when it crashed or exited (how, signal, exit_code say how). */
	PT_TASK_INIT_FAILED,
};

struct pt_result {
	enum pt_task_status status;
	int error; /* FAILED: the task's return value; NO_WORKER: the
		      -errno the last worker start failed with;
		      INIT_FAILED: the initializer's return value */
	/* CRASHED, and INIT_FAILED when the initializer did not return: how
	 * the worker ended - PT_EXIT_CRASHED (SIGSEGV, abort
	 * ...), PT_EXIT_SIGNALED (e.g. kill -9 from outside) or
	 * PT_EXIT_EXITED (it called exit()) - with the signal or the exit
	 * code. */
	enum pt_exit how;
	int signal;
	int exit_code;
	int worker_pid;	   /* the process that ran it last (threads: ours) */
	unsigned attempts; /* times it was started, retries included */
	const void *data;  /* the result bytes, owned by the future */
	size_t len;
	uint64_t queued_ns;   /* CLOCK_MONOTONIC: submitted */
	uint64_t started_ns;  /* last start; 0 if it never started */
	uint64_t finished_ns; /* resolved */
};

/* opts.when_full: what submit does when the queue is full. */
enum pt_pool_when_full {
	PT_POOL_WHEN_FULL_BLOCK = 0, /* wait for room (the default) */
	PT_POOL_WHEN_FULL_FAIL,	     /* return -EAGAIN */
};

/* Runs once in each worker before its first task (opts.initializer), on a
 * copy of opts.init_arg: opens what the worker's tasks share - a
 * dictionary, a connection. Returns 0, or non-zero to say the worker
 * cannot run tasks. */
typedef int pt_pool_init_fn(const void *arg, size_t len);

/* One entry of a pool's registry of named tasks (opts.tasks). */
struct pt_pool_task {
	const char *name; /* 1 to PT_POOL_TASK_NAME_MAX bytes, unique */
	pt_task_fn *fn;
};
#define PT_POOL_TASK_NAME_MAX 63

struct pt_pool_opts {
	size_t size; /* set by PT_POOL_OPTS() */
	enum pt_kind kind;
	unsigned workers; /* 0: the online CPUs */
	/* Tasks waiting for a worker; 0: 1024. */
	unsigned queue_capacity;
	enum pt_pool_when_full when_full;
	/* Replace a worker after it ran this many tasks; 0: never. */
	uint32_t max_tasks_per_worker;
	/* Per-task deadline from its start; 0: none. It starts when the
	 * worker begins the task: a process worker's own start and the
	 * initializer are not counted (nor bounded: an initializer that
	 * never returns holds the tasks sent to its worker until shutdown,
	 * as in Python's executors). The task resolves as PT_TASK_TIMED_OUT
	 * at the deadline with either kind. A process worker past it is
	 * killed and replaced at once. A thread is only
	 * asked to stop (pt_cancelled()): its worker stays busy until the
	 * task returns, and the tasks behind it wait for that or run on
	 * other workers. */
	uint32_t task_timeout_ms;
	/* Times a task whose worker process died is started again before it
	 * resolves as crashed; 0 (the default): never. */
	uint32_t retries;
	/* The largest argument and result. A process worker's two rings
	 * each hold up to 8 tasks of the larger of the two, fewer where 8
	 * would pass 1 MiB, and never fewer than 2: a worker's shared
	 * memory is about 2 * max(1 MiB, 2 * max bytes), touched as used. */
	size_t max_arg_bytes;	 /* 0: 64 KiB; at most PT_POOL_BYTES_MAX */
	size_t max_result_bytes; /* 0: 64 KiB; at most PT_POOL_BYTES_MAX */
	/* Queue every resolved future for pt_pool_next_done() and make
	 * pt_pool_fd() readable while any is queued. */
	bool completions;
	const char *name; /* workers' name, up to 15 bytes; copied */
	/* Run in every worker, replacements and recycled ones included,
	 * before it takes a task; NULL: none. In a process worker it runs in
	 * the worker process, on a copy of the init_arg_len bytes at
	 * init_arg (at most max_arg_bytes; copied at create). Once it fails -
	 * returns non-zero, or the worker process dies before it returned -
	 * the pool is broken, like Python's BrokenProcessPool: no worker is
	 * started again, the tasks that worker had been given, those queued
	 * and those submitted later resolve as PT_TASK_INIT_FAILED, submit
	 * returns -ENOTRECOVERABLE, and tasks already running on other
	 * workers run to their end. An initializer that crashes a thread
	 * worker ends the whole process, as a task would. */
	pt_pool_init_fn *initializer;
	const void *init_arg;
	size_t init_arg_len;
	/* Named tasks, for pt_pool_submit_name() with any kind; PT_KIND_MPI
	 * requires it, the same names in the same order in every rank.
	 * Borrowed: the table and its names must outlive the pool. */
	const struct pt_pool_task *tasks;
	size_t n_tasks;
	/* PT_KIND_MPI only. mpi_comm points to the MPI_Comm whose rank 0 owns
	 * the pool (read during pt_pool_create(); the pool works on its own
	 * duplicate); NULL: MPI_COMM_WORLD. depth: tasks sent ahead to one
	 * rank (0: 2; at most 64). spin_ns: polling without pause before
	 * backing off, in the owner and the serving ranks (as PT_CHAN_MPI's
	 * spin_ns). */
	const void *mpi_comm;
	unsigned depth;
	uint64_t spin_ns;
	/* In-place tasks (pt_pool_reserve()) that may exist at once, each
	 * from its reservation until pt_future_destroy(): the slots of the
	 * pool's arena, max_arg_bytes + max_result_bytes each (page
	 * rounded; only the pages used are ever touched). 0: 4 per worker,
	 * at least 8; at most 4096. Ignored by PT_KIND_MPI. */
	unsigned max_reserved;
	/* Process pools: workers kept started and idle, at most
	 * PT_POOL_SPARES_MAX. A slot whose worker died (or retired:
	 * max_tasks_per_worker, pt_pool_recycle_worker()) takes a spare at
	 * once, and a new spare starts in the background, so a crash costs
	 * its task and not a worker's start-up as well. Spares run the
	 * initializer when they start; each is a process of its own.
	 * 0 (the default): none, a replacement starts when it is needed.
	 * Ignored by the other kinds. */
	unsigned spares;
};
#define PT_POOL_OPTS(...)                                                      \
	((struct pt_pool_opts){ .size = sizeof(struct pt_pool_opts),           \
				__VA_ARGS__ })

#define PT_POOL_BYTES_MAX     ((size_t)16 << 20)
#define PT_POOL_START_TRIES   5 /* starts of a worker before it is given up */
#define PT_POOL_RETRY_MS      1000 /* then, one start this often */
#define PT_POOL_STATS_WORKERS 64
#define PT_POOL_SPARES_MAX    8

struct pt_pool_stats {
	uint64_t submitted;
	uint64_t queued;  /* waiting now */
	uint64_t running; /* started and not resolved now */
	uint64_t ok;
	uint64_t failed;
	uint64_t crashed;
	uint64_t timed_out;
	uint64_t cancelled;
	uint64_t shut_down;
	uint64_t no_worker; /* resolved PT_TASK_NO_WORKER */
	uint64_t retried;   /* starts after a worker died under the task */
	uint64_t restarts;  /* workers replaced after dying */
	uint64_t recycled;  /* workers replaced after max_tasks_per_worker or
			       at a task's request (pt_pool_recycle_worker) */
	unsigned workers;
	/* Tasks run by each worker slot (the first PT_POOL_STATS_WORKERS),
	 * replacements included. */
	uint64_t worker_tasks[PT_POOL_STATS_WORKERS];
};

/* Starts a pool and its workers (process workers side by side when the
 * fork-server runs, else forked one after another by a thread of the
 * pool) and returns once each has started or one could not
 * (its error is returned, and what was started is stopped). Returns 0 and sets
 * *out; -EINVAL for NULL arguments, an opts->size of 0, an unknown kind or
 * when_full, a size above PT_POOL_BYTES_MAX, a bad registry; -ENOMEM, -EAGAIN;
 * a worker's spawn error. PT_KIND_MPI, collectively with pt_mpi_pool_serve() in
 * every other rank (the same result in every rank): -ENOTSUP without
 * libprocthread_mpi, with an initializer or max_tasks_per_worker, or when
 * MPI was initialised below MPI_THREAD_MULTIPLE; -EINVAL outside rank 0,
 * without a registry, or for a communicator of fewer than 2 ranks;
 * -EPROTO when the ranks' registries differ; -ENOTCONN when MPI is not
 * initialised. The caller owns *out: pt_pool_destroy() (PT_KIND_MPI: before
 * MPI_Finalize()). Thread-safe. */
PT_API int pt_pool_create(const struct pt_pool_opts *opts, pt_pool **out);

/* Queues fn(arg[0..len)) and sets *out to its future; the bytes are copied
 * now, into a buffer the pool uses again (as the result's), so a small
 * task costs no malloc(); see pt_pool_reserve() for large ones. Returns 0;
 * -EAGAIN when the queue is full and opts.when_full is PT_POOL_WHEN_FULL_FAIL;
 * -EMSGSIZE when len > max_arg_bytes; -ESHUTDOWN once the pool shuts down;
 * -ECHILD while no worker of a process pool can run (see below); -EINVAL for
 * NULL pool/fn/out or a NULL arg with len; -ENOMEM. The caller owns *out:
 * pt_future_destroy(). Thread-safe.
 *
 * A process worker that cannot be started or replaced (the fork-server
 * died, RLIMIT_NPROC, out of memory) is tried PT_POOL_START_TRIES times,
 * 10, 20, 40 ... ms apart (about 150 ms in all). While other workers of
 * the pool run, they take its share of the work. Once no worker of the
 * pool can be started, the pool has none: every queued task resolves at
 * once as PT_TASK_NO_WORKER with the spawn error, and submit returns
 * -ECHILD, instead of queuing work nobody will run. The pool keeps trying
 * every PT_POOL_RETRY_MS; the first worker that starts ends that state and
 * submit takes tasks again. A thread pool never enters it. PT_KIND_MPI: also
 * -ENOENT for a fn outside the registry. */
PT_API int pt_pool_submit(pt_pool *pool, pt_task_fn *fn, const void *arg,
			  size_t len, pt_future **out);

/* In-place tasks: large arguments and results without a copy.
 *
 * pt_pool_reserve() gives the caller room for len argument bytes inside
 * the pool, in a slot of the pool's arena; the caller writes the argument
 * there and pt_pool_submit_reserved() queues the task. The worker reads the
 * argument where the caller wrote it and writes its result in the same
 * slot, where the caller reads it through pt_result.data until
 * pt_future_destroy() - no malloc() and no copy on the way, for either
 * kind. The arena is shared memory that every worker process of the pool
 * maps (a memfd, MAP_SHARED), so a process worker touches the same pages
 * as the caller; its pages stay in memory from one task to the next.
 *
 * Everything else is as for pt_pool_submit(): the future resolves exactly
 * once, with every status; cancel, deadlines, retries, recycling and
 * shutdown work the same. The slot is the future's, and goes back to the
 * pool when the future is destroyed and no worker touches it any more - at
 * once for a task that resolved with its worker's reply, which is what
 * lets a caller reserve again right after pt_future_destroy(). A
 * process worker that dies, is killed or times out while the task is in
 * its slot resolves it PT_TASK_CRASHED (or TIMED_OUT, CANCELLED ...) once,
 * and the slot is reused only after that worker is gone; a thread worker
 * whose task resolved without it (deadline, cancel) gives the slot back
 * once the task returns. A reservation never submitted resolves
 * PT_TASK_SHUTDOWN when the pool shuts down (pt_pool_destroy() included),
 * and PT_TASK_CANCELLED when cancelled or destroyed; either way its slot
 * comes back once the future is destroyed.
 *
 * What it costs: a worker process maps the whole arena, so a task that
 * scribbles beyond its slot can corrupt another in-place task's bytes, as
 * a thread could; the copying pt_pool_submit() keeps a worker process away
 * from every argument but its own. PT_KIND_MPI returns -ENOTSUP: its ranks may
 * run on other hosts, with no memory in common with the caller, so every
 * argument and result crosses the network as a message anyway.
 */

/* Reserves room for len argument bytes (len <= max_arg_bytes) and makes
 * the task's future: sets *arg to that room (page-aligned, writable by the
 * caller until pt_pool_submit_reserved()) and *out to the future. When all
 * opts.max_reserved slots are taken it waits for a future to be destroyed
 * (opts.when_full PT_POOL_WHEN_FULL_BLOCK) or returns -EAGAIN
 * (PT_POOL_WHEN_FULL_FAIL). Returns 0; -EINVAL for NULL pool/arg/out; -EMSGSIZE
 * when len > max_arg_bytes; -ESHUTDOWN once the pool shuts down;
 * -ENOTRECOVERABLE when the pool is broken; -ENOTSUP for PT_KIND_MPI; -ENOMEM.
 * The caller owns *out: pt_future_destroy(), whether it submits it or not.
 * Thread-safe; one future is used by one thread at a time until submitted. */
PT_API int pt_pool_reserve(pt_pool *pool, size_t len, void **arg,
			   pt_future **out);

/* Queues the reserved task fn on the len bytes the caller wrote at *arg
 * (pt_pool_reserve()); the caller must not touch them from now on, and
 * reads the result from the future (pt_future_wait(): pt_result.data,
 * valid until pt_future_destroy()). Returns 0; -EINVAL for NULL, or a
 * future that pt_pool_reserve() did not make; -EALREADY when it was
 * submitted or cancelled before; -ESHUTDOWN once the pool shuts down (the
 * future resolved PT_TASK_SHUTDOWN); and, leaving the task reserved so
 * that it may be submitted again: -EAGAIN (queue full, PT_POOL_WHEN_FULL_FAIL),
 * -ECHILD, -ENOTRECOVERABLE, as pt_pool_submit(). Thread-safe. */
PT_API int pt_pool_submit_reserved(pt_future *future, pt_task_fn *fn);

/* pt_pool_submit() of the registry's task called name (opts.tasks).
 * Returns as pt_pool_submit(), and -ENOENT when no task has that name.
 * The caller owns *out: pt_future_destroy(). Thread-safe. */
PT_API int pt_pool_submit_name(pt_pool *pool, const char *name, const void *arg,
			       size_t len, pt_future **out);

/* Waits up to timeout_ms (-1: forever, 0: poll) for the future to resolve
 * and fills *result (its data stays valid until pt_future_destroy()).
 * Returns 0, -ETIMEDOUT, -EINVAL. Thread-safe; any number of threads may
 * wait on a future, but not concurrently with pt_future_destroy() on it. */
PT_API int pt_future_wait(pt_future *future, int timeout_ms,
			  struct pt_result *result);

/* Cancels the task: a queued one is dropped; a running one is killed with
 * its worker (processes: the worker is replaced) or asked to stop (threads:
 * pt_cancelled(); its late result is discarded). A task a process worker
 * has only queued behind the one it runs (up to 8 are sent ahead while the
 * queue is long) is left to run, its result discarded. The future resolves
 * as PT_TASK_CANCELLED at once. Returns 0, -EALREADY when it had resolved,
 * -EINVAL. Thread-safe, but not concurrently with pt_future_destroy() on the
 * same future. */
PT_API int pt_future_cancel(pt_future *future);

/* True once the future has resolved; false for NULL. Thread-safe, but not
 * concurrently with pt_future_destroy() on the same future. */
PT_API bool pt_future_done(const pt_future *future);

/* Where a task is, as pt_future_state() sees it. */
enum pt_future_state {
	PT_FUTURE_QUEUED = 1, /* waiting: in the queue, or sent to a
				 process worker that has not started it */
	PT_FUTURE_RUNNING,    /* a worker started it and it has not
				 resolved (Python's future.running()) */
	PT_FUTURE_DONE,	      /* resolved, any status */
};

/* Returns the future's state (a pt_future_state), or -EINVAL for NULL.
 * The states only move forward, except that a task whose worker process
 * died before it finished goes back to QUEUED when it is retried or was
 * never started. A process worker's task is RUNNING from the moment the
 * worker process begins it, not when it was sent. Thread-safe, but not
 * concurrently with pt_future_destroy() on the same future. */
PT_API int pt_future_state(const pt_future *future);

/* Releases the caller's hold on the future. An unresolved task still runs
 * to its end; its result is dropped. NULL does nothing. It may come before
 * or after pt_pool_destroy(). Not thread-safe: no other call may be in
 * flight on the future, or follow. */
PT_API void pt_future_destroy(pt_future *future);

/* Waits up to timeout_ms for every task submitted so far to resolve.
 * Returns 0, -ETIMEDOUT, -EINVAL. Thread-safe. */
PT_API int pt_pool_wait_all(pt_pool *pool, int timeout_ms);

/* With opts.completions: a descriptor (an eventfd) readable while resolved
 * futures wait in the completion queue, for poll/epoll. A future is in the
 * queue, and the descriptor readable, by the time any pt_future_wait() or
 * pt_future_done() sees it resolved. Owned by the pool.
 * Returns it, -ENOTSUP without opts.completions, -EINVAL. Thread-safe. */
PT_API int pt_pool_fd(const pt_pool *pool);

/* With opts.completions: takes the oldest resolved future from the queue;
 * the caller owns it then (pt_future_destroy(), in addition to the one
 * submit returned). Returns 0, -EAGAIN when none is queued, -ENOTSUP
 * without opts.completions, -EINVAL. Thread-safe. */
PT_API int pt_pool_next_done(pt_pool *pool, pt_future **out);

enum pt_pool_shutdown_mode {
	PT_POOL_SHUTDOWN_DRAIN = 1, /* run what is queued, then stop */
	/* drop what is queued (PT_TASK_SHUTDOWN), and the tasks sent ahead
	 * to a process worker behind the one it runs, which it then never
	 * starts; the running tasks run to their end */
	PT_POOL_SHUTDOWN_CANCEL,
	/* OR-ed into either mode: return at once (Python's
	 * shutdown(wait=False)); see pt_pool_shutdown(). */
	PT_POOL_SHUTDOWN_NOWAIT = 0x100,
};

/* Stops taking tasks, then finishes as mode says. At deadline_ms (-1: no
 * deadline) what still runs is stopped: process workers are killed, thread
 * workers asked to stop; their tasks resolve as PT_TASK_SHUTDOWN. Returns
 * once every worker has ended (a thread task that ignores pt_cancelled()
 * delays it) and every task submitted has resolved: 0 when all finished in
 * time, -ETIMEDOUT when the deadline stopped some, -ECHILD when some
 * resolved PT_TASK_NO_WORKER meanwhile (no worker could be started to run
 * them), -EALREADY when shut down before, -EINVAL. Thread-safe.
 *
 * With PT_POOL_SHUTDOWN_NOWAIT (deadline_ms must be -1) it stops taking tasks,
 * drops the queue for PT_POOL_SHUTDOWN_CANCEL, and returns 0 at once: what is
 * queued (DRAIN) and what runs finishes in the background and every
 * future resolves as it would have; pt_pool_wait_all() waits for them. A
 * later pt_pool_shutdown() without NOWAIT waits for that end (a CANCEL
 * one drops what is still queued) and returns as above; a later NOWAIT
 * one returns -EALREADY; pt_pool_destroy() stops what still runs. */
PT_API int pt_pool_shutdown(pt_pool *pool, enum pt_pool_shutdown_mode mode,
			    int deadline_ms);

/* Inside a task: asks that the worker running it be replaced once this
 * task has resolved, before it runs another. For a task that changed what
 * its worker carries into later tasks - lowered a resource limit (say
 * RLIMIT_AS, to bound its own allocations), changed a signal disposition
 * or the working directory, leaked memory - which the pool cannot see and
 * does not undo. A process worker exits right after sending this task's
 * result, and the tasks already sent to it behind this one go back to the
 * head of the queue, in order, unstarted; a thread worker's thread is
 * replaced, which renews only what is per thread (a thread pool shares
 * its process's limits and state: nothing can renew them). The task's own
 * result is unaffected. Counted in pt_pool_stats.recycled. Returns 0, or
 * -ESRCH when called outside a pool's task. Thread-safe: it marks the
 * calling task's own worker. */
PT_API int pt_pool_recycle_worker(void);

/* Waits until the pool's spares (opts.spares) are all started and past
 * their initializer, so that the next worker a slot needs is there at
 * once - after pt_pool_create(), or after a crash took one; timeout_ms < 0:
 * no limit. Returns 0, at once for a pool without spares and for the kinds
 * that keep none; -ETIMEDOUT; -ESHUTDOWN once the pool shuts down;
 * -ENOTRECOVERABLE once its initializer failed; -EINVAL for NULL. It
 * polls (every 100 us), as a spare tells its progress through shared
 * memory only. Thread-safe. */
PT_API int pt_pool_await_spares(pt_pool *pool, int timeout_ms);

/* Counters as of now. Returns 0 or -EINVAL. Thread-safe. */
PT_API int pt_pool_get_stats(const pt_pool *pool, struct pt_pool_stats *stats);

/* Shuts the pool down (PT_POOL_SHUTDOWN_CANCEL, no grace) if it was not, and
 * frees it. Futures the caller still holds stay valid, all resolved. NULL does
 * nothing. Not thread-safe: no other call may be in flight on the pool, or
 * follow (the futures' calls excepted). */
PT_API void pt_pool_destroy(pt_pool *pool);

/* "ok", "failed", "crashed", "timed-out", "cancelled", "shutdown",
 * "no-worker", "init-failed"; "unknown" otherwise. Static strings.
 * Thread-safe and async-signal-safe. */
PT_API const char *pt_task_status_name(enum pt_task_status status);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_POOL_H */
