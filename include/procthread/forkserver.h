/* procthread/forkserver.h - fork process units from a clean, early copy of
 * the program.
 *
 * fork() in a program with many threads copies only the calling thread:
 * a lock another thread held at that instant (inside malloc, stdio, a
 * library) stays locked forever in the child, and its first malloc() can
 * hang. ThreadSanitizer refuses threads in such a child outright. The
 * fork-server avoids both: pt_forkserver_start(), called early while the
 * program has a single thread, forks a small single-threaded server, and
 * every process unit (and so every process worker of a pool) started
 * afterwards is forked by that server instead of by the caller.
 *
 * The trade-off, which pt_unit_spawn() also documents: a fork-server child
 * is a copy of the program as it was when the server started, not as it is
 * when the unit is spawned. Function pointers stay valid (same image);
 * memory made or changed since is absent, so such a unit receives its
 * argument as bytes (pt_unit_opts.arg_len) and its descriptors explicitly
 * (pt_unit_opts.pass_fds; 0, 1 and 2 come from the server). A unit whose
 * argument is a bare pointer (arg_len 0 with a non-NULL arg) is forked
 * directly, as without a server. Units still classify, join, kill and
 * account the same way: the server reaps each child and sends its status
 * and resource usage back, and signals go through a pidfd of the child.
 * A sandbox (procthread/sandbox.h) is applied in the server's child by the
 * same code as in a child forked directly, before its set-up is reported.
 *
 * Signals and death. The server stays in its owner's process group but
 * ignores every signal that would end or stop it except SIGKILL and SIGSTOP
 * (a Ctrl-C or `kill -- -PGID` meant for the owner leaves it running); its
 * children get the program's own dispositions back. It keeps a standby twin,
 * forked while it was still a clean copy: if the server is killed anyway,
 * the units it had forked die with it (their join returns -EPIPE), and the
 * twin serves every later request, so the program can go on forking safely
 * even with threads. Only when server and twin are both gone is the server
 * dead: pt_forkserver_running() says false, spawns that would have gone
 * through it fail with -EPIPE (they do not fall back to forking from a
 * caller that may have threads), and pt_forkserver_start() may be called
 * again (with one thread), or pt_forkserver_stop() to fork directly.
 * The twin is one more process (named pt-fs-standby) per program.
 *
 * All calls return 0 or a negative errno value; see procthread/error.h.
 */
#ifndef PROCTHREAD_FORKSERVER_H
#define PROCTHREAD_FORKSERVER_H

#include <procthread/common.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Forks the server. Call it from the main thread before any other thread
 * exists (the server dies with the thread that started it, through
 * PR_SET_PDEATHSIG). Flushes stdio first, so buffered output is not copied
 * into every child. Returns 0; -EBUSY when the process already has more
 * than one thread; -EALREADY when a server (or its twin) runs; -EAGAIN,
 * -ENOMEM, -EMFILE when out of processes, memory or descriptors. After the
 * server died (see above) it starts a new one. Not thread-safe: call it
 * while the process has one thread (with more it returns -EBUSY). */
PT_API int pt_forkserver_start(void);

/* Stops the server (and its twin) and waits for its end; units and pools
 * started afterwards fork directly. Returns 0, also for a server that had
 * died; -EBUSY while units started through it are not yet destroyed
 * (destroy them, and any process pool, first); -ESRCH when no server was
 * started in this process. Thread-safe. Fork-safe: a forked copy of the
 * program never owns its parent's server, and there it returns -ESRCH. */
PT_API int pt_forkserver_stop(void);

/* True when process units spawned now by this process go through a
 * server that is alive (or its twin, which it then follows); false once
 * both have died. Thread-safe. */
PT_API bool pt_forkserver_running(void);

/* The server's process id (its twin's, once the twin took over), or
 * -ESRCH when none runs. For tests and tools that inspect its children
 * (/proc/PID/task/PID/children; one of them is the twin). Thread-safe. */
PT_API int pt_forkserver_pid(void);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_FORKSERVER_H */
