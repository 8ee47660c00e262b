/* ledger.c - counting what a test leaves behind, from /proc and /dev/shm. */
#include "support/ledger.h"

#include "support/kinds.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int pt_ledger_count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *ent;
	int n = 0;

	if (!dir)
		return -1;
	while ((ent = readdir(dir)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			n++;
	closedir(dir);
	return n;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

/* /proc/self/task/<tid>/children lists each thread's children. */
int pt_ledger_children(int *out, int max)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *ent;
	char path[320];
	int n = 0;

	if (!dir)
		return -1;
	while ((ent = readdir(dir))) {
		FILE *f;
		int pid;

		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 ent->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &pid) == 1) {
			if (out && n < max)
				out[n] = pid;
			n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

/* /dev/shm is shared by every program on the machine, other tests run in
 * parallel among them: only the names this process made (region.c names
 * them procthread-<pid>-...) are its own to count. */
static int count_own_shm(void)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *ent;
	char prefix[32];
	int n = 0;

	if (!dir)
		return -1;
	snprintf(prefix, sizeof(prefix), "procthread-%d-", (int)getpid());
	while ((ent = readdir(dir)))
		if (!strncmp(ent->d_name, prefix, strlen(prefix)))
			n++;
	closedir(dir);
	return n;
}

void pt_ledger_take(struct pt_ledger *ledger)
{
	/* opendir() itself holds one descriptor while counting: the same
	 * one before and after, so the counts compare. */
	ledger->fds = pt_ledger_count_dir("/proc/self/fd");
	ledger->children = pt_ledger_children(NULL, 0);
	ledger->maps = count_lines("/proc/self/maps");
	ledger->shm = count_own_shm();
}

/* Sanitizer runtimes map memory of their own as a program runs (ASan's
 * quarantine keeps freed blocks and serves new ones from fresh regions), and
 * so does valgrind (its malloc takes fresh superblocks), so the count of
 * mappings only means something in a plain build run on its own. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MAPS_ARE_OURS 0
#else
#define MAPS_ARE_OURS (!pt_test_under_valgrind())
#endif

void pt_ledger_assert_no_leaks(const struct pt_ledger *before,
			       const struct pt_ledger *after)
{
	ck_assert_int_eq(after->fds, before->fds);
	ck_assert_int_eq(after->children, before->children);
	ck_assert_int_eq(after->shm, before->shm);
}

void pt_ledger_assert_same(const struct pt_ledger *before,
			   const struct pt_ledger *after)
{
	pt_ledger_assert_no_leaks(before, after);
	if (MAPS_ARE_OURS)
		ck_assert_int_eq(after->maps, before->maps);
}
