/* region.c - the region scenario of the fault-schedule test: a full
 * /dev/shm.
 *
 * In a private mount namespace (root only; skipped with a note otherwise),
 * /dev/shm becomes a small tmpfs; named regions of random sizes are made
 * until it is full, and each one made is written to its last byte, while
 * unnamed regions (memfds, not in /dev/shm) are made between them.
 *
 * The model: a named region that does not fit is -ENOSPC at create, never
 * a SIGBUS at the first write (the schedule's process would die of it);
 * a failed create leaves no name behind; after every region is destroyed,
 * /dev/shm is empty; the ledger is back where it was. */
#include "faults/faults.h"

#include <procthread.h>

#include "support/ledger.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define MAX_REGIONS 64

static int shm_entries(void)
{
	return pt_ledger_count_dir("/dev/shm");
}

const char *faults_region(struct faults_rng *rng, struct faults_log *log)
{
	unsigned size_kib = 64 << faults_below(rng, 5); /* 64 KiB .. 1 MiB */
	pt_region *regions[MAX_REGIONS];
	struct faults_ledger ledger;
	const char *verdict = NULL;
	char opts[32];
	int n = 0;
	bool full = false;

	faults_note(log, " shm=%uK", size_kib);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
		faults_note(log, " (skipped: no private mount namespace)");
		return NULL;
	}
	snprintf(opts, sizeof(opts), "size=%uk", size_kib);
	if (mount("tmpfs", "/dev/shm", "tmpfs", 0, opts) != 0) {
		faults_note(log, " (skipped: cannot mount tmpfs)");
		return NULL;
	}
	faults_ledger_take(&ledger);
	while (n < MAX_REGIONS && !full && !verdict) {
		size_t len = (size_t)(1 + faults_below(rng, 64)) * 4096;
		bool named = faults_chance(rng, 75);
		pt_region *r = NULL;
		int before = shm_entries();
		int rc = pt_region_create(len, named ? PT_REGION_NAMED : 0, &r);

		if (rc == -ENOSPC && named) {
			full = true;
			if (shm_entries() != before)
				verdict = faults_fail("a create that failed "
						      "with -ENOSPC left a "
						      "name in /dev/shm");
			break;
		}
		if (rc) {
			verdict = faults_fail("region create (%zu bytes%s): %s",
					      len, named ? ", named" : "",
					      pt_strerror(rc));
			break;
		}
		/* A SIGBUS here would kill the schedule: the driver says so. */
		memset(pt_region_addr(r), 0x5a, pt_region_len(r));
		regions[n++] = r;
	}
	faults_note(log, " made=%d%s", n, full ? " full" : "");
	while (n > 0)
		pt_region_destroy(regions[--n]);
	if (!verdict && shm_entries() != 0)
		verdict =
			faults_fail("%d names left in /dev/shm", shm_entries());
	if (!verdict)
		verdict = faults_ledger_check(&ledger);
	umount("/dev/shm");
	return verdict;
}
