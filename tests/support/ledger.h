/* ledger.h - what a test leaves behind: descriptors, children, mappings and
 * /dev/shm entries, counted before and after. Mappings are compared only in
 * builds without a sanitizer, whose runtime maps memory of its own. */
#ifndef PT_TEST_LEDGER_H
#define PT_TEST_LEDGER_H

struct pt_ledger {
	int fds;      /* entries of /proc/self/fd */
	int children; /* children of every thread of this process, zombies too
		       */
	int maps;     /* lines of /proc/self/maps */
	int shm;      /* entries of /dev/shm this process named */
};

/* Counts now; -1 in a field that could not be read. */
void pt_ledger_take(struct pt_ledger *ledger);

/* Fails the current Check test (naming the field) unless after equals
 * before in every field. */
void pt_ledger_assert_same(const struct pt_ledger *before,
			   const struct pt_ledger *after);

/* The same less the mappings: what the fixture of support/test.h checks
 * around every test, whose first thread leaves its stack and malloc arena
 * mapped. */
void pt_ledger_assert_no_leaks(const struct pt_ledger *before,
			       const struct pt_ledger *after);

/* Entries of the directory at path but . and .., or -1. */
int pt_ledger_count_dir(const char *path);

/* This process's children (every thread's), their pids in out[0..max);
 * how many there are (which may exceed max), or -1. */
int pt_ledger_children(int *out, int max);

#endif
