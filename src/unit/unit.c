/* unit.c - the unit front end: one API over two backends.
 *
 * A unit runs one function either on a new thread (thread.c) or in a forked
 * child (process.c). This file validates options, owns the parts both kinds
 * share - the block the running function sees (struct pt__unit_shared,
 * laid out by shared.c), the join loop with its deadline, cancellation and
 * result bytes - and leaves to each backend only what truly differs: how
 * the function is started, how its end is collected, and what stopping it
 * means. It reaches a backend only through the ops table of the unit's
 * kind (struct pt__unit_ops, unit_internal.h), never by asking which kind
 * it is; the backends call nothing here (what they share with this file
 * is in shared.c, a leaf).
 *
 * Every unit exposes one descriptor that becomes readable when it ends (a
 * pidfd or an eventfd) for callers' event loops. Joining itself waits the
 * cheapest way each kind offers: poll() on the pidfd for a process; for a
 * thread without a deadline, pthread_join() alone, which wakes once, when
 * the thread is gone (polling its eventfd first costs a second wake-up).
 */
#include "unit/unit_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

/* The backend of a kind; NULL for a kind pt_unit_spawn() does not run. */
static const struct pt__unit_ops *ops_of(enum pt_kind kind)
{
	switch (kind) {
	case PT_KIND_THREAD:
		return &pt__thread_unit_ops;
	case PT_KIND_PROCESS:
		return &pt__process_unit_ops;
	case PT_KIND_MPI:
		break;
	}
	return NULL;
}

/* cppcheck-suppress constParameter ; pt_unit_fn is a function type */
static int validate(const struct pt_unit_opts *opts, pt_unit_fn *fn,
		    const void *arg, pt_unit **out)
{
	if (!opts || !fn || !out)
		return -EINVAL;
	/* size lets the struct grow: an older caller's smaller struct is
	 * fine, a zero or absurd one is a caller error. */
	if (opts->size < offsetof(struct pt_unit_opts, orphan_policy) ||
	    opts->size > 4096)
		return -EINVAL;
	if (!ops_of(opts->kind))
		return -EINVAL;
	if (opts->result_capacity > PT_UNIT_RESULT_MAX)
		return -EINVAL;
	if (opts->orphan_policy != PT_UNIT_ORPHAN_DIES &&
	    opts->orphan_policy != PT_UNIT_ORPHAN_SURVIVES)
		return -EINVAL;
	/* Fields past orphan_policy exist only in a large enough struct. */
	if (opts->size >=
	    offsetof(struct pt_unit_opts, fork_via) + sizeof(opts->fork_via)) {
		if (opts->arg_len > PT_UNIT_ARG_MAX ||
		    opts->npass_fds > PT_UNIT_PASS_FDS_MAX ||
		    (opts->npass_fds && !opts->pass_fds))
			return -EINVAL;
		if (opts->fork_via < PT_UNIT_FORK_AUTO ||
		    opts->fork_via > PT_UNIT_FORK_SERVER)
			return -EINVAL;
		/* A server child is a copy of the program at server start:
		 * a bare pointer there points at nothing it has. */
		if (opts->kind == PT_KIND_PROCESS &&
		    opts->fork_via == PT_UNIT_FORK_SERVER && arg &&
		    !opts->arg_len)
			return -EINVAL;
	}
	if (opts->size >= offsetof(struct pt_unit_opts, process_group) +
				  sizeof(opts->process_group) &&
	    opts->process_group != PT_UNIT_GROUP_INHERIT &&
	    opts->process_group != PT_UNIT_GROUP_OWN)
		return -EINVAL;
	return 0;
}

/* The options as this version knows them: fields a smaller (older) struct
 * lacks read as zero. */
static struct pt_unit_opts opts_upgrade(const struct pt_unit_opts *opts)
{
	struct pt_unit_opts full = { 0 };

	memcpy(&full, opts,
	       opts->size < sizeof(full) ? opts->size : sizeof(full));
	full.size = sizeof(full);
	return full;
}

/* The sandbox of a process unit, prepared in the parent (sandbox.c). */
static int sandbox_prepare(pt_unit *unit, const struct pt_unit_opts *opts)
{
	int rc;

	if (!opts->sandbox)
		return 0;
	if (!unit->ops->sandboxed)
		return -ENOTSUP;
	unit->sandbox = malloc(sizeof(*unit->sandbox));
	if (!unit->sandbox)
		return -ENOMEM;
	rc = pt__sandbox_prepare(unit->sandbox, opts->sandbox);
	if (rc) {
		free(unit->sandbox);
		unit->sandbox = NULL;
	}
	return rc;
}

int pt_unit_spawn(const struct pt_unit_opts *opts, pt_unit_fn *fn, void *arg,
		  pt_unit **out)
{
	struct pt_unit_opts upgraded;
	pt_unit *unit;
	int rc;

	rc = validate(opts, fn, arg, out);
	if (rc)
		return rc;
	upgraded = opts_upgrade(opts);
	unit = calloc(1, sizeof(*unit));
	if (!unit)
		return -ENOMEM;
	unit->kind = upgraded.kind;
	unit->ops = ops_of(upgraded.kind);
	unit->fn = fn;
	unit->arg = arg;
	unit->fd = -1;
	unit->sig_fd = -1;
	unit->result_capacity = upgraded.result_capacity;
	if (upgraded.name)
		strncpy(unit->name, upgraded.name, sizeof(unit->name) - 1);
	unit->shared_bytes = pt__unit_shared_bytes(upgraded.result_capacity);
	/* Before the block: a fork-server unit carries its sandbox in it. */
	rc = sandbox_prepare(unit, &upgraded);
	if (rc)
		goto err_free;
	rc = unit->ops->map(unit, &upgraded, arg);
	if (rc)
		goto err_free;
	unit->shared->result_capacity = upgraded.result_capacity;

	unit->spawn_ns = pt__now_ns();
	if (upgraded.timeout_ms)
		unit->deadline_ns = unit->spawn_ns +
				    (uint64_t)upgraded.timeout_ms * 1000000u;
	rc = unit->ops->spawn(unit, &upgraded);
	if (rc)
		goto err_unmap;
	*out = unit;
	return 0;

err_unmap:
	unit->ops->unmap(unit);
err_free:
	free(unit->sandbox);
	free(unit);
	return rc;
}

/* The deadline passed: a process is killed, a thread only asked to stop. */
static void deadline_passed(pt_unit *unit)
{
	unit->deadline_hit = true;
	atomic_store(&unit->shared->cancelled, 1);
	if (unit->ops->signal)
		unit->ops->signal(unit, SIGKILL);
}

int pt_unit_join(pt_unit *unit, int timeout_ms, struct pt_status *status)
{
	uint64_t join_deadline;
	int rc;

	if (!unit || !status)
		return -EINVAL;
	if (unit->joined)
		return -EALREADY;
	join_deadline = pt__deadline_after_ms(timeout_ms);
	for (;;) {
		uint64_t wait_until = join_deadline;

		if (!unit->deadline_hit)
			wait_until = pt__deadline_min(join_deadline,
						      unit->deadline_ns);
		rc = unit->ops->wait(unit, wait_until);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
		if (!unit->deadline_hit && unit->deadline_ns &&
		    pt__now_ns() >= unit->deadline_ns) {
			deadline_passed(unit);
			continue;
		}
		if (join_deadline && pt__now_ns() >= join_deadline)
			return -ETIMEDOUT;
	}

	rc = unit->ops->reap(unit);
	if (rc)
		return rc;
	unit->joined = true;
	*status = unit->status;
	return 0;
}

int pt_unit_kill(pt_unit *unit, int sig)
{
	if (!unit || sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (!unit->ops->signal)
		return -ENOTSUP;
	if (unit->joined)
		return -ESRCH;
	return unit->ops->signal(unit, sig);
}

int pt_unit_cancel(pt_unit *unit)
{
	if (!unit)
		return -EINVAL;
	atomic_store(&unit->shared->cancelled, 1);
	return 0;
}

bool pt_cancelled(void)
{
	struct pt__unit_shared *self = pt__unit_self;

	return self &&
	       atomic_load_explicit(&self->cancelled, memory_order_relaxed);
}

int pt_unit_set_result(const void *buf, size_t len)
{
	struct pt__unit_shared *self = pt__unit_self;

	if (!self)
		return -ESRCH;
	if (!buf && len)
		return -EINVAL;
	if (len > self->result_capacity)
		return -EMSGSIZE;
	if (len)
		memcpy(self->result, buf, len);
	atomic_store(&self->result_len, len);
	return 0;
}

const void *pt_unit_result(const pt_unit *unit, size_t *len)
{
	size_t n;

	if (!unit || !len || !unit->joined)
		return NULL;
	/* A process child could have written anything here: clamp to the
	 * capacity the parent chose. */
	n = atomic_load(&unit->shared->result_len);
	*len = n > unit->result_capacity ? unit->result_capacity : n;
	return unit->shared->result;
}

int pt_unit_fd(const pt_unit *unit)
{
	return unit ? unit->fd : -EINVAL;
}

enum pt_kind pt_unit_kind(const pt_unit *unit)
{
	return unit ? unit->kind : 0;
}

int pt_unit_pid(const pt_unit *unit)
{
	if (!unit)
		return -EINVAL;
	return unit->ops->pid(unit);
}

struct pt__unit_shared *pt__unit_block(const pt_unit *unit)
{
	return unit->shared;
}

void pt_unit_destroy(pt_unit *unit)
{
	if (!unit)
		return;
	unit->ops->abandon(unit);
	unit->ops->unmap(unit);
	free(unit->sandbox);
	free(unit);
}

const char *pt_kind_name(enum pt_kind kind)
{
	switch (kind) {
	case PT_KIND_THREAD:
		return "thread";
	case PT_KIND_PROCESS:
		return "process";
	case PT_KIND_MPI:
		return "mpi";
	}
	return "unknown";
}

const char *pt_exit_name(enum pt_exit how)
{
	switch (how) {
	case PT_EXIT_RETURNED:
		return "returned";
	case PT_EXIT_EXITED:
		return "exited";
	case PT_EXIT_SIGNALED:
		return "signaled";
	case PT_EXIT_CRASHED:
		return "crashed";
	case PT_EXIT_TIMED_OUT:
		return "timed-out";
	case PT_EXIT_FILTERED:
		return "filtered";
	case PT_EXIT_NONE:
		return "none";
	}
	return "unknown";
}
