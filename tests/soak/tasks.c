/* tasks.c - the soak's task, one kind of fault each, and how each kind
 * must end.
 *
 * The kills at precise moments of the reply need a hook where the worker
 * publishes it: the soak is linked with -Wl,--wrap=pt_chan_commit
 * (tests/CMakeLists.txt), so the library's call in the worker process
 * comes here first. A task of such a kind sets commit_fault in its worker
 * and returns; the wrapper then waits to be killed before the real commit
 * (K_MIDSEND: the whole reply is written, the request slot released, only
 * the publishing store is missing), or kills itself right after it
 * (K_AFTERREPLY: the reply is out). The parent's own commits (requests)
 * find commit_fault zero.
 *
 * What each kind must end as, and why:
 * - K_MIDREPLY, K_MIDSEND: crashed, killed by SIGKILL. What the worker
 *   left in the ring was never published, and the proxy must not take it
 *   for a reply: half a result (MIDREPLY) or a whole one (MIDSEND) would
 *   resolve the task as ok.
 * - K_AFTERREPLY: ok, with its result. The reply was published before the
 *   kill, and the channel delivers what was published; the tasks sent to
 *   the same worker behind it were not started and run elsewhere.
 * - K_RLIMIT: failed with ENOMEM, the task's own report of malloc()
 *   returning NULL - a task that handles allocation failure is the common
 *   case, and a crash would be classified crashed like K_SEGV. It lowers
 *   the soft and the hard limit, as a task bounding itself would, so only a
 *   new process can undo it: it calls pt_pool_recycle_worker(), and every
 *   other task checks that it runs under the soak's own RLIMIT_AS
 *   (SOAK_LEAKED otherwise). The limit is set 64 MiB above what the worker
 *   has mapped, not at a fixed size, since a sanitizer runtime reserves
 *   terabytes of address space at start.
 * - K_FULL: ok, with a result that fills the reply slot, every byte
 *   checked; its argument fills the request slot, every byte checked by
 *   the task.
 */
#include "soak/soak.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

const char *const soak_kind_names[K_COUNT] = {
	"ok",	  "segv",   "abort", "exit",	 "loop",    "nomem",
	"killed", "rlimit", "full",  "midreply", "midsend", "afterreply",
};

_Atomic int *soak_victims;

static struct rlimit soak_as_limit;
static pid_t soak_pid;

/* Set by a task in its worker; read by the commit that follows it. */
static int commit_fault;

void soak_tasks_init(void)
{
	getrlimit(RLIMIT_AS, &soak_as_limit);
	soak_pid = getpid();
}

/* --- sanitizer runtimes -------------------------------------------------- */

#if SANITIZED
/* K_NOMEM and K_RLIMIT need malloc() to return NULL, as glibc's does,
 * rather than end the process with a report. */
const char *__asan_default_options(void);
const char *__tsan_default_options(void);
int __lsan_is_turned_off(void);

const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

const char *__tsan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* A worker that calls exit() (K_EXIT) would run LeakSanitizer over a copy
 * of the soak whose other threads are gone, report what they held, and
 * end with LeakSanitizer's exit code instead of the task's. */
int __lsan_is_turned_off(void)
{
	return getpid() != soak_pid;
}
#endif

/* --- killing at a moment the task chooses -------------------------------- */

/* Announces this process as a victim and waits for the kill. */
static _Noreturn void await_kill(uint32_t index)
{
	atomic_store(&soak_victims[index % VICTIM_SLOTS], (int)getpid());
	for (;;)
		pause();
}

static uint32_t commit_index;

int __real_pt_chan_commit(pt_chan *chan, struct pt_chan_msg *msg);
int __wrap_pt_chan_commit(pt_chan *chan, struct pt_chan_msg *msg);

int __wrap_pt_chan_commit(pt_chan *chan, struct pt_chan_msg *msg)
{
	int fault = commit_fault;
	int rc;

	if (fault == 0)
		return __real_pt_chan_commit(chan, msg);
	commit_fault = 0;
	if (fault == K_MIDSEND)
		await_kill(commit_index);
	rc = __real_pt_chan_commit(chan, msg);
	/* At once, not by the killer thread a moment later: the proxy may
	 * then learn of the death before it has read the reply. */
	if (fault == K_AFTERREPLY)
		raise(SIGKILL);
	return rc;
}

/* --- payloads ------------------------------------------------------------ */

static uint64_t expected_value(uint64_t v)
{
	return v * 31 + 7;
}

/* The i-th 64-bit word of a pattern drawn from seed. */
static uint64_t pattern_word(uint64_t seed, size_t i)
{
	uint64_t x = seed + 0x9e3779b97f4a7c15ull * (i + 1);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

static void pattern_fill(unsigned char *p, size_t bytes, uint64_t seed)
{
	for (size_t i = 0; i < bytes / 8; i++) {
		uint64_t w = pattern_word(seed, i);

		memcpy(p + i * 8, &w, 8);
	}
}

static bool pattern_same(const unsigned char *p, size_t bytes, uint64_t seed)
{
	for (size_t i = 0; i < bytes / 8; i++) {
		uint64_t w = pattern_word(seed, i);

		if (memcmp(p + i * 8, &w, 8))
			return false;
	}
	return true;
}

size_t soak_arg(const struct task_arg *a, unsigned char *buf)
{
	memcpy(buf, a, sizeof(*a));
	if (a->kind != K_FULL)
		return sizeof(*a);
	pattern_fill(buf + sizeof(*a), SOAK_PAYLOAD - sizeof(*a), a->value);
	return SOAK_PAYLOAD;
}

/* --- the task ------------------------------------------------------------ */

/* VmSize, from /proc/self/statm, in bytes; 0 if unknown. */
static uint64_t mapped_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long pages = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* K_RLIMIT: lowers RLIMIT_AS (soft and hard) to 64 MiB above what is
 * mapped, then takes 1 MiB blocks until malloc() fails. */
static int exhaust_address_space(void)
{
	struct rlimit lim;
	uint64_t mapped = mapped_bytes();
	void *head = NULL;
	unsigned blocks = 0;

	if (!mapped)
		return EIO;
	lim.rlim_cur = lim.rlim_max = mapped + ((uint64_t)64 << 20);
	if (setrlimit(RLIMIT_AS, &lim) < 0)
		return errno;
	/* Irreversible here: no later task may run in this process. */
	if (pt_pool_recycle_worker())
		return ESRCH;
	for (;;) {
		void **block = malloc((size_t)1 << 20);

		if (!block)
			break;
		*block = head;
		head = block;
		blocks++;
	}
	while (head) {
		void *next = *(void **)head;

		free(head);
		head = next;
	}
	/* It must have failed, and not at once: the limit bit. */
	return blocks > 0 && blocks < 1024 ? ENOMEM : EDOM;
}

static int answer(const struct task_arg *a, struct pt_task_out *out)
{
	uint64_t r = expected_value(a->value);

	if (out->cap < sizeof(r))
		return EMSGSIZE;
	memcpy(out->data, &r, sizeof(r));
	out->len = sizeof(r);
	return 0;
}

int soak_task(const void *p, size_t len, struct pt_task_out *out)
{
	struct task_arg a;
	volatile uint64_t spin = 0;
	struct rlimit lim;
	void *big;

	if (len < sizeof(a))
		return EINVAL;
	memcpy(&a, p, sizeof(a));
	if (len != (a.kind == K_FULL ? SOAK_PAYLOAD : sizeof(a)))
		return EINVAL;
	/* No task may inherit a limit an earlier one set. */
	if (getrlimit(RLIMIT_AS, &lim) < 0 ||
	    lim.rlim_cur != soak_as_limit.rlim_cur ||
	    lim.rlim_max != soak_as_limit.rlim_max)
		return SOAK_LEAKED;
	switch (a.kind) {
	case K_SEGV:
		/* raise, not a NULL store: UBSan would turn that into an
		 * abort in the sanitizer builds. */
		raise(SIGSEGV);
		break;
	case K_ABORT:
		abort();
	case K_EXIT:
		exit(3);
	case K_LOOP:
		for (;;)
			spin++;
	case K_NOMEM:
		big = malloc((size_t)1 << 60);
		if (!big)
			return ENOMEM;
		free(big);
		return 0;
	case K_KILLED:
		await_kill(a.index);
	case K_RLIMIT:
		return exhaust_address_space();
	case K_FULL:
		if (!pattern_same((const unsigned char *)p + sizeof(a),
				  SOAK_PAYLOAD - sizeof(a), a.value))
			return EBADMSG;
		if (out->cap != SOAK_PAYLOAD)
			return EMSGSIZE;
		pattern_fill(out->data, out->cap, expected_value(a.value));
		out->len = out->cap;
		return 0;
	case K_MIDREPLY:
		/* Half a plausible result, straight into the reply slot. */
		pattern_fill(out->data, out->cap / 2, expected_value(a.value));
		out->len = out->cap / 2;
		await_kill(a.index);
	case K_MIDSEND:
	case K_AFTERREPLY:
		commit_fault = (int)a.kind;
		commit_index = a.index;
		return answer(&a, out);
	default:
		break;
	}
	return answer(&a, out);
}

/* --- outcomes ------------------------------------------------------------ */

static bool answered(const struct task_arg *a, const struct pt_result *res)
{
	uint64_t r;

	if (res->status != PT_TASK_OK || res->len != sizeof(r))
		return false;
	memcpy(&r, res->data, sizeof(r));
	return r == expected_value(a->value);
}

static bool killed(const struct pt_result *res)
{
	return res->status == PT_TASK_CRASHED && res->how == PT_EXIT_SIGNALED &&
	       res->signal == SIGKILL;
}

bool soak_classified_right(const struct task_arg *a,
			   const struct pt_result *res)
{
	switch (a->kind) {
	case K_OK:
	case K_AFTERREPLY:
		return answered(a, res);
	case K_SEGV:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_CRASHED && res->signal == SIGSEGV;
	case K_ABORT:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_CRASHED && res->signal == SIGABRT;
	case K_EXIT:
		return res->status == PT_TASK_CRASHED &&
		       res->how == PT_EXIT_EXITED && res->exit_code == 3;
	case K_LOOP:
		return res->status == PT_TASK_TIMED_OUT;
	case K_NOMEM:
	case K_RLIMIT:
		return res->status == PT_TASK_FAILED && res->error == ENOMEM;
	case K_KILLED:
	case K_MIDREPLY:
	case K_MIDSEND:
		return killed(res);
	case K_FULL:
		return res->status == PT_TASK_OK && res->len == SOAK_PAYLOAD &&
		       pattern_same(res->data, res->len,
				    expected_value(a->value));
	}
	return false;
}

const char *soak_expected(enum kind k)
{
	static const char *const expected[K_COUNT] = {
		[K_OK] = "ok, result checked",
		[K_SEGV] = "crashed SIGSEGV",
		[K_ABORT] = "crashed SIGABRT",
		[K_EXIT] = "exited 3",
		[K_LOOP] = "timed-out",
		[K_NOMEM] = "failed ENOMEM",
		[K_RLIMIT] = "failed ENOMEM, worker recycled",
		[K_KILLED] = "killed SIGKILL",
		[K_FULL] = "ok, 64 KiB each way checked",
		[K_MIDREPLY] = "killed SIGKILL, half reply unseen",
		[K_MIDSEND] = "killed SIGKILL, whole reply unseen",
		[K_AFTERREPLY] = "ok, result checked",
	};

	return k < K_COUNT ? expected[k] : "?";
}

void soak_describe(const struct pt_result *res, char *buf, size_t cap)
{
	const char *name;

	switch (res->status) {
	case PT_TASK_FAILED:
		name = res->error > 0 ? strerrorname_np(res->error) : NULL;
		if (res->error == SOAK_LEAKED)
			snprintf(buf, cap, "failed, limit leaked");
		else if (name)
			snprintf(buf, cap, "failed %s", name);
		else
			snprintf(buf, cap, "failed %d", res->error);
		return;
	case PT_TASK_CRASHED:
		name = sigabbrev_np(res->signal);
		if (res->how == PT_EXIT_EXITED)
			snprintf(buf, cap, "exited %d", res->exit_code);
		else
			snprintf(buf, cap, "%s SIG%s",
				 res->how == PT_EXIT_CRASHED ? "crashed"
							     : "killed",
				 name ? name : "?");
		return;
	default:
		snprintf(buf, cap, "%s", pt_task_status_name(res->status));
		return;
	}
}
