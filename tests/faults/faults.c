/* faults.c - the fault-schedule driver (see faults.h).
 *
 *   pt_faults [--seed S] [--schedules N] [--budget SECONDS] [--only K]
 *             [--scenario pool|chan|sup|region]
 *
 * Runs schedules 0, 1, ... of seed S until N have run or the budget is
 * spent (whichever comes first; at least one runs), each in a child process
 * with a deadline of SCHEDULE_LIMIT_S. Prints one line per schedule that
 * failed, with the command that replays it (--only K), and a summary line
 * "faults: N passed, M failed". Exits 0 when all passed, 1 when any
 * failed, 2 for a bad command line. */
#include "faults/faults.h"

#include "support/ledger.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <procthread.h>

/* A schedule still running after this long is a hang. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCHEDULE_LIMIT_S 120
#else
#define SCHEDULE_LIMIT_S 60
#endif

uint64_t faults_rand(struct faults_rng *rng)
{
	rng->state ^= rng->state >> 12;
	rng->state ^= rng->state << 25;
	rng->state ^= rng->state >> 27;
	return rng->state * 2685821657736338717ull;
}

unsigned faults_below(struct faults_rng *rng, unsigned n)
{
	return n ? (unsigned)(faults_rand(rng) % n) : 0;
}

bool faults_chance(struct faults_rng *rng, unsigned percent)
{
	return faults_below(rng, 100) < percent;
}

uint64_t faults_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void faults_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void faults_note(struct faults_log *log, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (log->len >= sizeof(log->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(log->text + log->len, sizeof(log->text) - log->len, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		log->len += (size_t)n;
	if (log->len >= sizeof(log->text))
		log->len = sizeof(log->text) - 1;
}

const char *faults_fail(const char *fmt, ...)
{
	static char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return msg;
}

/* --- signals to the group ------------------------------------------------ */

static volatile sig_atomic_t group_signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	group_signals_seen++;
}

static const int group_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1,
				     SIGQUIT };
#define NGROUP_SIGNALS (sizeof(group_signals) / sizeof(group_signals[0]))

static void handle_group_signals(void)
{
	struct sigaction sa = { .sa_handler = count_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NGROUP_SIGNALS; i++)
		sigaction(group_signals[i], &sa, NULL);
}

void faults_signal_group(struct faults_rng *rng, struct faults_log *log)
{
	int sig = group_signals[faults_below(rng, NGROUP_SIGNALS)];

	faults_note(log, " group-%s", sigabbrev_np(sig));
	kill(0, sig);
}

/* --- finding the scenario's processes ------------------------------------ */

static int read_int_field(const char *path, const char *key)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int value = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			value = atoi(line + strlen(key));
			break;
		}
	fclose(f);
	return value;
}

size_t faults_find_procs(const char *name, int *pids, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *ent;
	int server = pt_forkserver_pid();
	size_t n = 0;

	if (!dir)
		return 0;
	while ((ent = readdir(dir)) && n < max) {
		char path[300];
		char comm[32] = "";
		FILE *f;
		int pid = atoi(ent->d_name);
		int ppid;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, name) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		ppid = read_int_field(path, "PPid:");
		if (read_int_field(path, "State:") == -1)
			continue;
		if (ppid == getpid() || (server > 0 && ppid == server))
			pids[n++] = pid;
	}
	closedir(dir);
	return n;
}

/* --- the ledger ------------------------------------------------------------
 */

void faults_ledger_take(struct faults_ledger *ledger)
{
	struct pt_ledger full;

	/* Its mappings and /dev/shm count are not compared here: the
	 * allocator's arenas grow with the threads a schedule starts. */
	pt_ledger_take(&full);
	ledger->fds = full.fds;
	ledger->children = full.children;
}

const char *faults_ledger_check(const struct faults_ledger *before)
{
	struct faults_ledger now;

	for (int i = 0; i < 200; i++) {
		faults_ledger_take(&now);
		if (now.fds == before->fds && now.children == before->children)
			return NULL;
		faults_sleep_ms(10);
	}
	return faults_fail("ledger: %d fds (was %d), %d children (was %d)",
			   now.fds, before->fds, now.children,
			   before->children);
}

/* --- one schedule ----------------------------------------------------------
 */

enum scenario { SC_ANY = -1, SC_POOL, SC_CHAN, SC_SUP, SC_REGION, SC_COUNT };
static const char *const scenario_names[SC_COUNT] = { "pool", "chan", "sup",
						      "region" };

static uint64_t schedule_seed(uint64_t seed, unsigned index)
{
	uint64_t s = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (index + 1);

	return s ? s : 1;
}

/* In the schedule's process: draws and runs it, writing what it does to
 * log (shared with the driver, which prints it if the schedule hangs).
 * Exit 0 pass, 1 fail. */
static int run_schedule(uint64_t seed, unsigned index, enum scenario only,
			struct faults_log *shared)
{
	struct faults_rng rng = { schedule_seed(seed, index) };
	struct faults_log *log = shared;
	enum scenario sc;
	const char *verdict;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	handle_group_signals();
	faults_rand(&rng);
	if (only != SC_ANY) {
		sc = only;
	} else {
		/* pool 40 %, chan 35 %, sup 20 %, region 5 % */
		unsigned pick = faults_below(&rng, 20);

		sc = pick < 8	 ? SC_POOL
		     : pick < 15 ? SC_CHAN
		     : pick < 19 ? SC_SUP
				 : SC_REGION;
	}
	faults_note(log, "%s:", scenario_names[sc]);
	switch (sc) {
	case SC_POOL:
		verdict = faults_pool(&rng, log);
		break;
	case SC_CHAN:
		verdict = faults_chan(&rng, log);
		break;
	case SC_SUP:
		verdict = faults_sup(&rng, log);
		break;
	default:
		verdict = faults_region(&rng, log);
		break;
	}
	if (verdict) {
		printf("faults: seed %llu schedule %u FAILED: %s\n"
		       "  schedule: %s\n",
		       (unsigned long long)seed, index, verdict, log->text);
		fflush(stdout);
		return 1;
	}
	if (getenv("PT_FAULTS_VERBOSE"))
		printf("faults: schedule %u ok: %s\n", index, log->text);
	fflush(stdout);
	return 0;
}

/* Runs schedule index in a child under the deadline. Returns true when it
 * passed. */
static bool run_one(uint64_t seed, unsigned index, enum scenario only,
		    struct faults_log *log)
{
	uint64_t deadline =
		faults_now_ns() + (uint64_t)SCHEDULE_LIMIT_S * 1000000000u;
	pid_t pid;
	int wst = 0;

	memset(log, 0, sizeof(*log));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("faults: fork");
		return false;
	}
	if (pid == 0)
		_exit(run_schedule(seed, index, only, log));
	for (;;) {
		pid_t got = waitpid(pid, &wst, WNOHANG);

		if (got == pid)
			break;
		if (faults_now_ns() > deadline) {
			/* Its whole group: workers, units, the server. */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			printf("faults: seed %llu schedule %u FAILED: hang "
			       "(still running after %d s)\n  schedule: %.*s\n",
			       (unsigned long long)seed, index,
			       SCHEDULE_LIMIT_S, (int)sizeof(log->text),
			       log->text);
			printf("  replay: pt_faults --seed %llu --only %u\n",
			       (unsigned long long)seed, index);
			return false;
		}
		faults_sleep_ms(5);
	}
	/* Whatever the schedule left in its group goes with it. */
	kill(-pid, SIGKILL);
	if (WIFSIGNALED(wst))
		printf("faults: seed %llu schedule %u FAILED: the schedule's "
		       "process died of %s\n",
		       (unsigned long long)seed, index,
		       sigabbrev_np(WTERMSIG(wst)));
	if (!(WIFEXITED(wst) && WEXITSTATUS(wst) == 0)) {
		printf("  replay: pt_faults --seed %llu --only %u\n",
		       (unsigned long long)seed, index);
		return false;
	}
	return true;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"pt_faults: %s\nusage: pt_faults [--seed S] [--schedules N] "
		"[--budget SECONDS] [--only K] [--scenario "
		"pool|chan|sup|region]\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	unsigned schedules = 100;
	unsigned budget_s = 60;
	long only_index = -1;
	enum scenario only = SC_ANY;
	unsigned passed = 0, failed = 0;
	struct faults_log *log;
	uint64_t end;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *tail = NULL;

		if (!v)
			return usage("an option lacks its value");
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(v, &tail, 10);
		else if (!strcmp(argv[i], "--schedules"))
			schedules = (unsigned)strtoul(v, &tail, 10);
		else if (!strcmp(argv[i], "--budget"))
			budget_s = (unsigned)strtoul(v, &tail, 10);
		else if (!strcmp(argv[i], "--only"))
			only_index = strtol(v, &tail, 10);
		else if (!strcmp(argv[i], "--scenario")) {
			tail = (char *)"";
			for (only = SC_POOL; only < SC_COUNT; only++)
				if (!strcmp(v, scenario_names[only]))
					break;
			if (only == SC_COUNT)
				return usage("--scenario takes pool, chan, "
					     "sup or region");
		} else {
			return usage("unknown option");
		}
		if (!tail || *tail)
			return usage("a value is not a whole number");
		i++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (log == MAP_FAILED) {
		perror("faults: mmap");
		return 1;
	}
	end = faults_now_ns() + (uint64_t)budget_s * 1000000000u;
	if (only_index >= 0) {
		if (run_one(seed, (unsigned)only_index, only, log))
			passed++;
		else
			failed++;
	}
	for (unsigned k = 0; only_index < 0 && k < schedules; k++) {
		if (k > 0 && faults_now_ns() > end)
			break;
		if (run_one(seed, k, only, log))
			passed++;
		else
			failed++;
	}
	printf("faults: seed %llu: %u passed, %u failed\n", seed, passed,
	       failed);
	return failed ? 1 : 0;
}
