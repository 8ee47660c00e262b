/* sup.c - the supervisor scenario of the fault-schedule test.
 *
 * A supervisor of two or three process children (one_for_one, one_for_all
 * or rest_for_one; permanent or transient; forked directly or by the
 * fork-server), some of which fork a grandchild that ignores SIGTERM, some
 * of which handle SIGTERM themselves. Meanwhile the schedule kills a child
 * with SIGKILL, stops one with SIGSTOP (and leaves it stopped), signals the
 * whole group, or kills the fork-server.
 *
 * The model: while the budget lasts, every child runs again after a fault
 * (checked with which_children: each has a live pid); pt_supervisor_stop()
 * returns within the children's shutdown times plus a slack, a stopped
 * child included; afterwards no child and no grandchild is left (their
 * pids are gone), and the ledger is back where it was. */
#include "faults/faults.h"

#include <procthread.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_CHILDREN  3
#define SHUTDOWN_MS   300
#define STOP_SLACK_MS 3000

/* Every grandchild any start of any child made. */
#define MAX_GRANDCHILDREN 256

/* Shared with the children (MAP_SHARED, made before they start). */
struct board {
	atomic_int ngrandchildren;
	atomic_int grandchild[MAX_GRANDCHILDREN];
};

static struct board *board;

static volatile sig_atomic_t term_seen;

static void on_term(int sig)
{
	(void)sig;
	term_seen = 1;
}

/* arg: the child's index, and what it does (in the high bits). */
enum { PLAIN = 0, GRANDCHILD = 1, HANDLES_TERM = 2 };

static int child_fn(void *arg)
{
	int word = *(const int *)arg;
	int what = word >> 8;

	if (what & HANDLES_TERM)
		signal(SIGTERM, on_term);
	if (what & GRANDCHILD) {
		pid_t pid = fork();

		if (pid == 0) {
			signal(SIGTERM, SIG_IGN);
			for (;;)
				pause();
		}
		int slot = atomic_fetch_add(&board->ngrandchildren, 1);

		if (slot < MAX_GRANDCHILDREN)
			atomic_store(&board->grandchild[slot], (int)pid);
	}
	while (!term_seen && !pt_cancelled())
		pause();
	return 0;
}

static bool pid_alive(int pid)
{
	char path[64];
	char state = 0;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* A zombie no longer runs anything: reaping it is init's. */
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

/* Waits until every child with a spec runs under a live pid, or the
 * supervisor gave up. */
static const char *await_all_running(pt_supervisor *sup, unsigned n)
{
	struct pt_supervisor_child list[MAX_CHILDREN];
	uint64_t until = faults_now_ns() + 10000000000ull;

	for (;;) {
		size_t count = 0;
		size_t running = 0;
		int rc = pt_supervisor_which_children(sup, list, MAX_CHILDREN,
						      &count);

		if (rc == -ESRCH)
			return NULL; /* gave up: the budget is spent */
		if (rc)
			return faults_fail("which_children: %s",
					   pt_strerror(rc));
		for (size_t i = 0; i < count && i < MAX_CHILDREN; i++)
			running += list[i].running && pid_alive(list[i].pid);
		if (count == n && running == n)
			return NULL;
		if (faults_now_ns() > until)
			return faults_fail("after 10 s, %zu of %u children "
					   "run",
					   running, n);
		faults_sleep_ms(5);
	}
}

const char *faults_sup(struct faults_rng *rng, struct faults_log *log)
{
	static const enum pt_strategy strategies[] = {
		PT_STRATEGY_ONE_FOR_ONE, PT_STRATEGY_ONE_FOR_ALL,
		PT_STRATEGY_REST_FOR_ONE
	};
	static int words[MAX_CHILDREN];
	struct pt_child_spec specs[MAX_CHILDREN];
	struct pt_supervisor_child list[MAX_CHILDREN];
	struct faults_ledger ledger;
	unsigned n = 2 + faults_below(rng, 2);
	bool via_server = faults_chance(rng, 40);
	unsigned nfaults = 1 + faults_below(rng, 3);
	enum pt_strategy strategy = strategies[faults_below(rng, 3)];
	struct pt_supervisor_opts opts;
	const char *verdict = NULL;
	pt_supervisor *sup = NULL;
	size_t count = 0;
	uint64_t t0, took_ms;
	int rc;

	faults_note(log, " %s children=%u%s", pt_strategy_name(strategy), n,
		    via_server ? " via-server" : "");
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED)
		return faults_fail("mmap: %s", strerror(errno));
	memset(board, 0, sizeof(*board));
	faults_ledger_take(&ledger);
	if (via_server && (rc = pt_forkserver_start()) != 0) {
		verdict = faults_fail("fork-server start: %s", pt_strerror(rc));
		goto out_unmap;
	}
	for (unsigned k = 0; k < n; k++) {
		int what = (int)faults_below(rng, 4);

		words[k] = (int)k | what << 8;
		faults_note(log, " c%u:%s%s", k, what & GRANDCHILD ? "g" : "",
			    what & HANDLES_TERM ? "t" : "");
		specs[k] =
			PT_CHILD_SPEC(.name = k == 0   ? "ptf-c0"
					      : k == 1 ? "ptf-c1"
						       : "ptf-c2",
				      .fn = child_fn, .arg = &words[k],
				      .arg_len = sizeof(words[k]),
				      .kind = PT_KIND_PROCESS,
				      .restart = faults_chance(rng, 70)
							 ? PT_RESTART_PERMANENT
							 : PT_RESTART_TRANSIENT,
				      .shutdown_ms = SHUTDOWN_MS);
	}
	opts = PT_SUPERVISOR_OPTS(.strategy = strategy, .intensity = 20,
				  .period_ms = 60000);
	rc = pt_supervisor_start(&opts, specs, n, &sup);
	if (rc) {
		verdict = faults_fail("supervisor start: %s", pt_strerror(rc));
		goto out_server;
	}
	verdict = await_all_running(sup, n);
	for (unsigned i = 0; i < nfaults && !verdict; i++) {
		unsigned f = faults_below(rng, via_server ? 4 : 3);

		rc = pt_supervisor_which_children(sup, list, MAX_CHILDREN,
						  &count);
		if (rc || count == 0)
			break;
		switch (f) {
		case 0:
			faults_note(log, " kill-child");
			kill(list[faults_below(rng, (unsigned)count)].pid,
			     SIGKILL);
			verdict = await_all_running(sup, n);
			break;
		case 1:
			/* Left stopped: stop() must still end it in time. */
			faults_note(log, " stop-child");
			kill(list[faults_below(rng, (unsigned)count)].pid,
			     SIGSTOP);
			i = nfaults;
			break;
		case 2:
			faults_signal_group(rng, log);
			break;
		default:
			faults_note(log, " kill-server");
			kill(pt_forkserver_pid(), SIGKILL);
			verdict = await_all_running(sup, n);
			break;
		}
	}
	t0 = faults_now_ns();
	rc = pt_supervisor_stop(sup);
	pt_supervisor_destroy(sup);
	took_ms = (faults_now_ns() - t0) / 1000000u;
	if (!verdict && rc && rc != -ECANCELED)
		verdict = faults_fail("stop: %s", pt_strerror(rc));
	if (!verdict && took_ms > (uint64_t)n * SHUTDOWN_MS + STOP_SLACK_MS)
		verdict = faults_fail("stop took %llu ms for %u children of "
				      "%d ms each",
				      (unsigned long long)took_ms, n,
				      SHUTDOWN_MS);
	for (int k = 0; k < atomic_load(&board->ngrandchildren) &&
			k < MAX_GRANDCHILDREN && !verdict;
	     k++) {
		int g = atomic_load(&board->grandchild[k]);

		for (int i = 0; i < 200 && pid_alive(g); i++)
			faults_sleep_ms(10);
		if (pid_alive(g)) {
			verdict = faults_fail(
				"grandchild %d (of %d) outlived "
				"the supervisor",
				g, atomic_load(&board->ngrandchildren));
			kill(g, SIGKILL);
		}
	}
out_server:
	if (via_server)
		pt_forkserver_stop();
	if (!verdict)
		verdict = faults_ledger_check(&ledger);
out_unmap:
	munmap(board, sizeof(*board));
	return verdict;
}
