/* sandbox.h - the confinement of process units (procthread/sandbox.h), split
 * by side: pt__sandbox_prepare() runs in the parent and may allocate;
 * pt__sandbox_apply() runs in the child between fork and fn and makes
 * async-signal-safe system calls only.
 *
 * struct pt__sandbox holds no pointers: it is complete in itself, so a
 * unit forked by the fork-server receives it as bytes in its shared block
 * and applies it with the same pt__sandbox_apply() (process.c). */
#ifndef PT_UNIT_SANDBOX_H
#define PT_UNIT_SANDBOX_H

#include <procthread/sandbox.h>

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

/* Longest filter kept: the default list and PT_SANDBOX_ALLOW_MAX names
 * compile to well under this. */
#define PT__SANDBOX_BPF_MAX 512

struct pt__sandbox {
	unsigned flags;
	uint64_t as_bytes, cpu_seconds, nofile; /* 0: unchanged */
	uint32_t nkeep;
	int keep[PT_SANDBOX_KEEP_FDS_MAX]; /* sorted, no duplicates, >= 3 */
	uint32_t bpf_len;		   /* instructions; 0: no filter */
	struct sock_filter bpf[PT__SANDBOX_BPF_MAX];
};

/* Checks opts (pt_sandbox.size, flags, fds, names) and fills *sb, building
 * the seccomp filter. Returns 0, -EINVAL for bad options, -ENOMEM, or
 * another -errno from libseccomp. */
int pt__sandbox_prepare(struct pt__sandbox *sb, const struct pt_sandbox *opts);

/* In the child: applies *sb, keeping keep_also open too (the set-up report
 * descriptor; -1 for none). Returns 0 or a positive errno value (EINVAL
 * for counts past the arrays). Only async-signal-safe system calls. */
int pt__sandbox_apply(const struct pt__sandbox *sb, int keep_also);

/* Whether a unit confined by sb and ended by signal sig was killed by the
 * filter. */
bool pt__sandbox_filtered(const struct pt__sandbox *sb, int sig);

#endif
