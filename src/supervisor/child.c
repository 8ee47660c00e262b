/* child.c - one child of a supervisor: start it as a unit, stop it within
 * its shutdown timeout, and tell the event callback.
 *
 * Stopping follows Erlang's shutdown: a process gets SIGTERM and has
 * shutdown_ms to end before SIGKILL (0 means SIGKILL at once, Erlang's
 * brutal_kill). A thread can only be asked (pt_unit_cancel()); past its
 * timeout the event says it overran, and it is still waited for, because
 * its stack and everything it touches belong to this process.
 */
#include "supervisor/supervisor_internal.h"
#include "util/clock.h"
#include "util/sized.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void pt__sv_emit(pt_supervisor *sup, struct pt_supervisor_event *ev, size_t i)
{
	ev->child = i;
	ev->name = sup->children[i].name;
	ev->time_ns = pt__now_ns();
	if (sup->opts.on_event)
		sup->opts.on_event(ev, sup->opts.event_ctx);
}

bool pt__sv_normal_end(const struct pt_status *status)
{
	return (status->how == PT_EXIT_RETURNED ||
		status->how == PT_EXIT_EXITED) &&
	       status->code == 0;
}

int pt__sv_child_start(pt_supervisor *sup, size_t i)
{
	struct pt__sv_child *c = &sup->children[i];
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = c->kind, .name = c->name,
			     .arg_len = c->arg_len,
			     .process_group = PT_UNIT_GROUP_OWN);
	struct pt_supervisor_event ev = { 0 };
	pt_unit *unit;
	int rc;

	c->pending = false;
	rc = pt_unit_spawn(&opts, c->fn, c->arg, &unit);
	if (rc) {
		ev.type = PT_SUPERVISOR_CHILD_START_FAILED;
		ev.error = rc;
		pt__sv_emit(sup, &ev, i);
		return rc;
	}
	c->unit = unit;
	ev.type = PT_SUPERVISOR_CHILD_STARTED;
	ev.pid = pt_unit_pid(unit);
	pt__sv_emit(sup, &ev, i);
	return 0;
}

/* Joins within timeout_ms; returns 0, or -ETIMEDOUT. */
static int join_within(pt_unit *unit, uint32_t timeout_ms,
		       struct pt_status *status)
{
	return pt_unit_join(
		unit, (int)(timeout_ms > 0x7fffffff ? 0x7fffffff : timeout_ms),
		status);
}

/* The size of the first struct pt_child_spec: every field up to
 * shutdown_ms. */
#define SPEC_V1_SIZE                                                           \
	(offsetof(struct pt_child_spec, shutdown_ms) + sizeof(uint32_t))

int pt__sv_spec_at(const struct pt_child_spec *specs, size_t k,
		   struct pt_child_spec *out)
{
	size_t stride = specs->size;
	const struct pt_child_spec *s;

	if (stride % _Alignof(struct pt_child_spec) != 0)
		return -EINVAL;
	s = (const struct pt_child_spec *)((const unsigned char *)specs +
					   k * stride);
	if (s->size != stride)
		return -EINVAL;
	return pt__read_sized(out, sizeof(*out), s, SPEC_V1_SIZE);
}

int pt__sv_child_take(struct pt__sv_child *c, const struct pt_child_spec *s)
{
	if (!s->fn ||
	    (s->kind != PT_KIND_THREAD && s->kind != PT_KIND_PROCESS) ||
	    s->restart < PT_RESTART_PERMANENT ||
	    s->restart > PT_RESTART_TEMPORARY || (s->arg_len && !s->arg) ||
	    s->arg_len > PT_UNIT_ARG_MAX)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (s->name)
		strncpy(c->name, s->name, sizeof(c->name) - 1);
	c->fn = s->fn;
	c->kind = s->kind;
	c->restart = s->restart;
	c->shutdown_ms = s->shutdown_ms;
	c->arg_len = s->arg_len;
	c->arg = (void *)s->arg;
	if (s->arg_len) {
		c->arg = malloc(s->arg_len);
		if (!c->arg)
			return -ENOMEM;
		memcpy(c->arg, s->arg, s->arg_len);
	}
	return 0;
}

void pt__sv_child_stop(pt_supervisor *sup, size_t i)
{
	struct pt__sv_child *c = &sup->children[i];
	struct pt_supervisor_event ev = { .type = PT_SUPERVISOR_CHILD_STOPPED };
	int rc;

	c->pending = false;
	if (!c->unit)
		return;
	if (c->kind == PT_KIND_PROCESS) {
		pt_unit_kill(c->unit, c->shutdown_ms ? SIGTERM : SIGKILL);
		/* A stopped child would only see SIGTERM once continued, so
		 * every stop would run out to SIGKILL: continue it, as
		 * systemd does. */
		if (c->shutdown_ms)
			pt_unit_kill(c->unit, SIGCONT);
		/* After SIGKILL the end is a matter of microseconds. */
		rc = c->shutdown_ms
			     ? join_within(c->unit, c->shutdown_ms, &ev.status)
			     : pt_unit_join(c->unit, -1, &ev.status);
		if (rc == -ETIMEDOUT) {
			ev.overran = true;
			pt_unit_kill(c->unit, SIGKILL);
			rc = pt_unit_join(c->unit, -1, &ev.status);
		}
	} else {
		pt_unit_cancel(c->unit);
		/* 0 is no limit for a thread: it cannot be killed anyway. */
		rc = c->shutdown_ms
			     ? join_within(c->unit, c->shutdown_ms, &ev.status)
			     : pt_unit_join(c->unit, -1, &ev.status);
		if (rc == -ETIMEDOUT) {
			ev.overran = true;
			rc = pt_unit_join(c->unit, -1, &ev.status);
		}
	}
	/* A join that failed outright (the fork-server died) leaves the
	 * status empty; destroy still releases everything. */
	if (rc)
		memset(&ev.status, 0, sizeof(ev.status));
	ev.abnormal = !pt__sv_normal_end(&ev.status);
	pt_unit_destroy(c->unit);
	c->unit = NULL;
	pt__sv_emit(sup, &ev, i);
}
