/* inspect.c - `procthread inspect PID|self`: the control block of one
 * process as the kernel keeps it, and what its threads share and own.
 *
 * read.c reads everything into a struct inspect first; this
 * file only formats it, as text into a memory buffer or as one JSON
 * object, and writes it out whole. A process that cannot be read (gone,
 * ending, another user's) gives one message on stderr, exit status 1 and
 * nothing on stdout.
 */
#include "cli/cli.h"
#include "inspect/inspect.h"
#include "term/term.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What every thread of a process has in common, and what each has alone:
 * the kernel's split between the process (mm, files, signal structures)
 * and the task. */
static const char *const shared_parts[] = {
	"address space",     "descriptor table", "resource limits",
	"credentials",	     "signal handlers",	 "cgroup",
	"working directory",
};
static const char *const owned_parts[] = {
	"tid",	    "state",	  "stack",	 "registers",
	"CPU time", "scheduling", "signal mask",
};
#define NPARTS(a) (sizeof(a) / sizeof((a)[0]))

static const char *bytes_text(char *buf, size_t cap, uint64_t b)
{
	if (b >= (uint64_t)10 << 30)
		snprintf(buf, cap, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= (uint64_t)1 << 20)
		snprintf(buf, cap, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 1024)
		snprintf(buf, cap, "%.0f KiB", (double)b / 1024);
	else
		snprintf(buf, cap, "%llu B", (unsigned long long)b);
	return buf;
}

static const char *user_name(unsigned uid, char *buf, size_t cap)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) || !found)
		return NULL;
	snprintf(buf, cap, "%s", found->pw_name);
	return buf;
}

/* --- text ---------------------------------------------------------------- */

/* The page keeps to 78 columns, whatever the terminal's width. */
static const struct term page = { .width = 78 };

static void append_joined(char *buf, size_t cap, const char *const *parts,
			  size_t n)
{
	size_t len = strlen(buf);

	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", parts[i],
					i + 2 < n   ? ", "
					: i + 1 < n ? " and "
						    : "");
}

static void print_memory(FILE *out, const struct inspect *in)
{
	char a[24], b[24], c[24], d[24];

	fprintf(out, "  %-12s %s virtual in %zu mappings, %s resident\n",
		"memory", bytes_text(a, sizeof(a), in->mem.virtual_bytes),
		in->nmaps_total,
		bytes_text(b, sizeof(b), in->mem.resident_bytes));
	fprintf(out, "  %-12s (anonymous %s, file %s, shmem %s)\n", "",
		bytes_text(a, sizeof(a), in->mem.anon_bytes),
		bytes_text(b, sizeof(b), in->mem.file_bytes),
		bytes_text(c, sizeof(c), in->mem.shmem_bytes));
	fprintf(out,
		"  %-12s shared %s, private %s, proportional %s, swap %s\n", "",
		bytes_text(a, sizeof(a), in->mem.shared_bytes),
		bytes_text(b, sizeof(b), in->mem.private_bytes),
		bytes_text(c, sizeof(c), in->mem.pss_bytes),
		bytes_text(d, sizeof(d), in->mem.swap_bytes));
}

static void print_block(FILE *out, const struct inspect *in)
{
	char name[64], when[64], sentence[512] = "";
	time_t start = (time_t)in->start_epoch_s;
	struct tm tm;
	const char *cg;

	fprintf(out, "process %d (%s): %s\n", in->pid, in->comm,
		inspect_state_name(in->state));
	fprintf(out, "  %-12s %s\n", "command",
		*in->cmdline ? in->cmdline : "(none: a kernel thread)");
	if (*in->parent_comm)
		fprintf(out, "  %-12s %d (%s)\n", "parent", in->ppid,
			in->parent_comm);
	else
		fprintf(out, "  %-12s %d\n", "parent", in->ppid);
	fprintf(out, "  %-12s %s (uid %u", "user",
		user_name(in->uid, name, sizeof(name)) ? name : "?", in->uid);
	if (in->euid != in->uid)
		fprintf(out, ", effective %u", in->euid);
	fprintf(out, ", gid %u)\n", in->gid);
	if (!localtime_r(&start, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(when, sizeof(when), "?");
	fprintf(out, "  %-12s %s, %.1f s ago\n", "started", when,
		in->elapsed_s);
	fprintf(out, "  %-12s %.0f ms user, %.0f ms system\n", "CPU time",
		(double)in->user_ns / 1e6, (double)in->system_ns / 1e6);
	fprintf(out, "  %-12s %s, priority %ld, nice %ld", "scheduling",
		inspect_policy_name(in->policy), in->priority, in->nice);
	if (in->rt_priority)
		fprintf(out, ", real-time priority %u", in->rt_priority);
	fprintf(out, "; may run on CPUs %s\n", in->cpus_allowed);
	print_memory(out, in);
	fprintf(out, "  %-12s %zu open\n", "descriptors", in->nfds);
	cg = in->cgroup;
	for (int first = 1; cg && *cg; first = 0) {
		size_t len = strcspn(cg, "\n");

		fprintf(out, "  %-12s %.*s\n", first ? "cgroup" : "", (int)len,
			cg);
		cg += len + (cg[len] == '\n');
	}
	fprintf(out, "  %-12s %-24s %-12s %-12s %s\n", "limits", "", "soft",
		"hard", "units");
	for (size_t i = 0; i < in->nlimits; i++)
		fprintf(out, "    %-35s %-12s %-12s %s\n", in->limits[i].name,
			in->limits[i].soft, in->limits[i].hard,
			*in->limits[i].units ? in->limits[i].units : "-");
	snprintf(sentence, sizeof(sentence),
		 "%ld; all share one address space, one descriptor table, "
		 "one set of limits and the ",
		 in->nthreads);
	append_joined(sentence, sizeof(sentence), shared_parts + 3,
		      NPARTS(shared_parts) - 3);
	strncat(sentence, "; each owns its ",
		sizeof(sentence) - strlen(sentence) - 1);
	append_joined(sentence, sizeof(sentence), owned_parts,
		      NPARTS(owned_parts));
	fprintf(out, "  %-12s ", "threads");
	term_wrap(out, &page, sentence, 15, 15);
}

static void print_threads(FILE *out, const struct inspect *in)
{
	char cpu[24], sw[48], stack[64], size[24];

	fprintf(out,
		"\nthreads: %zu, each with its own state, stack and "
		"CPU time\n",
		in->nthreads_read);
	fprintf(out, "  %-8s %-16s %-5s %-9s %-4s %-14s %-5s %s\n", "tid",
		"name", "state", "CPU time", "CPU", "switches v/i", "nice",
		"stack");
	for (size_t i = 0; i < in->nthreads_read; i++) {
		const struct inspect_thread *th = &in->threads[i];

		snprintf(cpu, sizeof(cpu), "%.0f ms",
			 (double)th->task.cpu_ns / 1e6);
		snprintf(sw, sizeof(sw), "%llu / %llu",
			 (unsigned long long)th->task.voluntary,
			 (unsigned long long)th->task.involuntary);
		if (th->stack_end)
			snprintf(stack, sizeof(stack), "%llx-%llx (%s)",
				 (unsigned long long)th->stack_start,
				 (unsigned long long)th->stack_end,
				 bytes_text(size, sizeof(size),
					    th->stack_end - th->stack_start));
		else
			snprintf(stack, sizeof(stack), "-");
		fprintf(out, "  %-8d %-16s %-5c %-9s %-4d %-14s %-5ld %s\n",
			th->task.tid, th->task.name, th->task.state, cpu,
			th->task.last_cpu, sw, th->task.nice, stack);
	}
}

static void print_maps(FILE *out, const struct inspect *in)
{
	fprintf(out,
		"\nmappings: %zu, one address space shared by every "
		"thread\n",
		in->nmaps);
	for (size_t i = 0; i < in->nmaps; i++) {
		const struct inspect_map *m = &in->maps[i];

		fprintf(out, "  %012llx-%012llx %s %08llx %s\n",
			(unsigned long long)m->start,
			(unsigned long long)m->end, m->perms,
			(unsigned long long)m->offset, m->path);
	}
}

static void print_fds(FILE *out, const struct inspect *in)
{
	fprintf(out, "\ndescriptors: %zu, one table shared by every thread\n",
		in->nfds_read);
	for (size_t i = 0; i < in->nfds_read; i++)
		fprintf(out, "  %-5d %s\n", in->fds[i].fd, in->fds[i].target);
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *limit_value(const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	return *v && !*end ? json_integer(n) : json_string(v);
}

static json_t *strings_json(const char *const *parts, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(parts[i]));
	return a;
}

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *threads_json(const struct inspect *in)
{
	json_t *a = json_array();

	for (size_t i = 0; i < in->nthreads_read; i++) {
		const struct inspect_thread *th = &in->threads[i];
		char st[2] = { th->task.state, 0 };
		json_t *o = json_pack(
			"{s:i, s:s, s:s, s:f, s:i, s:I, s:I, s:i, s:s}", "tid",
			th->task.tid, "name", th->task.name, "state", st,
			"cpu_ms", (double)th->task.cpu_ns / 1e6, "last_cpu",
			th->task.last_cpu, "voluntary_switches",
			(json_int_t)th->task.voluntary, "involuntary_switches",
			(json_int_t)th->task.involuntary, "nice",
			(int)th->task.nice, "policy",
			inspect_policy_name(th->task.policy));

		if (th->stack_end) {
			json_object_set_new(o, "stack_start",
					    hex(th->stack_start));
			json_object_set_new(o, "stack_end", hex(th->stack_end));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *details_json(const struct inspect *in)
{
	json_t *o = json_object(), *lim = json_object(), *cg = json_array();
	const char *line = in->cgroup;
	char name[64];

	for (size_t i = 0; i < in->nlimits; i++)
		json_object_set_new(lim, in->limits[i].name,
				    json_pack("{s:o, s:o, s:s}", "soft",
					      limit_value(in->limits[i].soft),
					      "hard",
					      limit_value(in->limits[i].hard),
					      "units", in->limits[i].units));
	while (line && *line) {
		size_t len = strcspn(line, "\n");

		json_array_append_new(cg, json_stringn(line, len));
		line += len + (line[len] == '\n');
	}
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "cgroup", cg);
	json_object_set_new(o, "user",
			    user_name(in->uid, name, sizeof(name))
				    ? json_string(name)
				    : json_null());
	json_object_set_new(
		o, "memory",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			  "virtual_bytes", (json_int_t)in->mem.virtual_bytes,
			  "resident_bytes", (json_int_t)in->mem.resident_bytes,
			  "anonymous_bytes", (json_int_t)in->mem.anon_bytes,
			  "file_bytes", (json_int_t)in->mem.file_bytes,
			  "shmem_bytes", (json_int_t)in->mem.shmem_bytes,
			  "shared_bytes", (json_int_t)in->mem.shared_bytes,
			  "private_bytes", (json_int_t)in->mem.private_bytes,
			  "proportional_bytes", (json_int_t)in->mem.pss_bytes,
			  "swap_bytes", (json_int_t)in->mem.swap_bytes));
	json_object_set_new(o, "shared_by_threads",
			    strings_json(shared_parts, NPARTS(shared_parts)));
	json_object_set_new(o, "owned_by_each_thread",
			    strings_json(owned_parts, NPARTS(owned_parts)));
	return o;
}

static json_t *inspect_json(const struct inspect *in,
			    const struct inspect_want *want)
{
	char state[2] = { in->state, 0 };
	json_t *o = json_pack(
		"{s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:I, "
		"s:f, s:f, s:f, s:i, s:i, s:s, s:i, s:s, s:i, s:i, s:i}",
		"pid", in->pid, "ppid", in->ppid, "parent_command",
		in->parent_comm, "state", state, "state_name",
		inspect_state_name(in->state), "command", in->comm, "cmdline",
		in->cmdline, "uid", (int)in->uid, "euid", (int)in->euid, "gid",
		(int)in->gid, "egid", (int)in->egid, "start_epoch_s",
		(json_int_t)in->start_epoch_s, "elapsed_s", in->elapsed_s,
		"cpu_user_ms", (double)in->user_ns / 1e6, "cpu_system_ms",
		(double)in->system_ns / 1e6, "priority", (int)in->priority,
		"nice", (int)in->nice, "policy",
		inspect_policy_name(in->policy), "rt_priority",
		(int)in->rt_priority, "cpus_allowed", in->cpus_allowed,
		"num_threads", (int)in->nthreads, "num_maps",
		(int)in->nmaps_total, "num_fds", (int)in->nfds);

	json_object_update_new(o, details_json(in));
	if (want->threads)
		json_object_set_new(o, "threads", threads_json(in));
	if (want->maps) {
		json_t *a = json_array();

		for (size_t i = 0; i < in->nmaps; i++)
			json_array_append_new(
				a, json_pack("{s:o, s:o, s:s, s:o, s:s}",
					     "start", hex(in->maps[i].start),
					     "end", hex(in->maps[i].end),
					     "perms", in->maps[i].perms,
					     "offset", hex(in->maps[i].offset),
					     "path", in->maps[i].path));
		json_object_set_new(o, "maps", a);
	}
	if (want->fds) {
		json_t *a = json_array();

		for (size_t i = 0; i < in->nfds_read; i++)
			json_array_append_new(
				a, json_pack("{s:i, s:s}", "fd", in->fds[i].fd,
					     "target", in->fds[i].target));
		json_object_set_new(o, "fds", a);
	}
	return o;
}

/* --- the command -----------------------------------------------------------
 */

static int report_error(int pid, const struct inspect_error *err)
{
	char name[64];

	fprintf(stderr, "procthread inspect: ");
	switch (err->why) {
	case INSPECT_NO_PROCESS:
		fprintf(stderr, "no process has pid %d\n", pid);
		break;
	case INSPECT_A_THREAD:
		fprintf(stderr,
			"%d is a thread of process %d, not a process; try "
			"'procthread inspect %d --threads'\n",
			pid, err->detail, err->detail);
		break;
	case INSPECT_ENDED:
		if (err->detail > 0 && !*err->file)
			fprintf(stderr,
				"process %d has ended: a zombie its parent "
				"%d has not reaped yet\n",
				pid, err->detail);
		else
			fprintf(stderr,
				"process %d ended while it was being read\n",
				pid);
		break;
	case INSPECT_KERNEL_THREAD:
		fprintf(stderr,
			"%d (%s) is a kernel thread: it has no address space, "
			"command line or descriptors of its own to inspect\n",
			pid, err->file);
		break;
	case INSPECT_DENIED:
		fprintf(stderr, "not allowed to read /proc/%d/%s: ", pid,
			err->file);
		if (err->owner != INSPECT_OWNER_UNKNOWN &&
		    err->owner != geteuid())
			fprintf(stderr,
				"process %d belongs to %s (uid %u); only its "
				"owner, or a user with CAP_SYS_PTRACE, may "
				"read its memory and descriptors\n",
				pid,
				user_name(err->owner, name, sizeof(name))
					? name
					: "another user",
				err->owner);
		else
			fprintf(stderr,
				"the kernel refuses this process ptrace access "
				"to it, which reading its memory and "
				"descriptors needs (it holds privileges this "
				"one lacks, or is not dumpable)\n");
		break;
	default:
		fprintf(stderr, "cannot read /proc/%d/%s: %s\n", pid, err->file,
			strerror(err->detail));
		break;
	}
	return CLI_EXIT_FAIL;
}

/* Formats the result into memory, then writes it in one go: either all of
 * it reaches stdout or the tool reports the write error. */
static int print_result(const struct inspect *in,
			const struct inspect_want *want, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	json_t *o;

	if (!mem) {
		perror("procthread inspect");
		return CLI_EXIT_FAIL;
	}
	if (json) {
		o = inspect_json(in, want);
		json_dumpf(o, mem, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', mem);
		json_decref(o);
	} else {
		print_block(mem, in);
		if (want->threads)
			print_threads(mem, in);
		if (want->maps)
			print_maps(mem, in);
		if (want->fds)
			print_fds(mem, in);
	}
	if (fclose(mem)) {
		free(text);
		perror("procthread inspect");
		return CLI_EXIT_FAIL;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return CLI_EXIT_OK;
}

static int inspect_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", no_argument, NULL, 't' },
		{ "maps", no_argument, NULL, 'm' },
		{ "fds", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTIONS_END,
	};
	struct inspect_want want = { 0 };
	struct inspect_error err;
	struct inspect in;
	bool json = false;
	long pid;
	int opt, status;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":tmfjh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 't':
			want.threads = true;
			break;
		case 'm':
			want.maps = true;
			break;
		case 'f':
			want.fds = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(cli_inspect.usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_getopt_error("inspect", opt, optopt,
						argv[optind - 1], longopts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("inspect",
				       "expected one PID or 'self', got %d "
				       "arguments",
				       argc - optind);
	if (!strcmp(argv[optind], "self"))
		pid = getpid();
	else if (!cli_parse_long(argv[optind], 1, INT_MAX, &pid))
		return cli_usage_error("inspect",
				       "'%s' is not a pid; accepted: a "
				       "number from 1 to %d, or 'self'",
				       argv[optind], INT_MAX);
	if (cli_dry_run)
		return CLI_EXIT_OK;
	if (inspect_read((int)pid, &want, &in, &err))
		return report_error((int)pid, &err);
	status = print_result(&in, &want, json);
	inspect_free(&in);
	return status;
}

const struct cli_command cli_inspect = {
	.name = "inspect",
	.summary = "show a process's control block and its threads, from /proc",
	.usage = "usage: procthread inspect PID|self [--threads] [--maps] "
		 "[--fds] [--json]\n\n"
		 "Shows the control block the kernel keeps for one process, "
		 "read from /proc:\npid, parent, state, command, user, start "
		 "time, CPU time, priority and nice,\nscheduling policy, CPU "
		 "affinity, resource limits, memory (virtual, resident,\n"
		 "shared and private), open descriptors and cgroup; and what "
		 "its threads share\n(one address space, one descriptor "
		 "table, one set of limits) and own.\n\n"
		 "options:\n"
		 "  --threads  each thread: tid, name, state, CPU time, last "
		 "CPU, context\n"
		 "             switches, nice and stack\n"
		 "  --maps     every mapping of the address space\n"
		 "  --fds      every open descriptor and what it refers to\n"
		 "  --json     print it all as one JSON object\n"
		 "  --help     this text\n\n"
		 "A process that does not exist, ends while it is read, or "
		 "may not be read by\nthis user, and a kernel thread (which "
		 "has no address space of its own), give\na message and exit "
		 "status 1, and nothing on standard output. A bad command\n"
		 "line exits 2.\n",
	.run = inspect_main,
};
