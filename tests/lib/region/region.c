/* test_region - regions: memfd-backed by default, shared with process
 * units by inheritance and with anyone by SCM_RIGHTS; named regions by
 * choice, unlinked by their creator only. */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"
#include "support/shm_of.h"
#include "util/fdpass.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pt_region *create_or_fail(size_t len, unsigned flags)
{
	pt_region *region = NULL;
	int rc = pt_region_create(len, flags, &region);

	ck_assert_msg(rc == 0, "create: %s", pt_strerror(rc));
	return region;
}

/* The ledger, less its count of all of /dev/shm, which other programs
 * change at any time: what must balance is the names of these pids. */
static void assert_nothing_left(const struct pt_ledger *before,
				const struct pt_ledger *after, int pid)
{
	ck_assert_int_eq(after->fds, before->fds);
	ck_assert_int_eq(after->children, before->children);
	ck_assert_int_eq(after->maps, before->maps);
	ck_assert_int_eq(pt_shm_entries_of(getpid()), 0);
	ck_assert_int_eq(pt_shm_entries_of(pid), 0);
}

static int write_marks(void *arg)
{
	pt_region *region = arg;
	unsigned char *mem = pt_region_addr(region);

	for (size_t i = 0; i < pt_region_len(region); i += 4096)
		mem[i] = (unsigned char)(i / 4096 + 1);
	return 0;
}

START_TEST(unit_writes_are_seen_by_creator)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	pt_region *region = create_or_fail(5 * 4096 - 7, 0);
	unsigned char *mem = pt_region_addr(region);
	struct pt_status st;
	pt_unit *unit;

	ck_assert_uint_eq(pt_region_len(region), 5 * 4096);
	ck_assert_ptr_null(pt_region_name(region));
	PT_ASSERT_OK(pt_unit_spawn(&opts, write_marks, region, &unit));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mem[i * 4096], i + 1);
	pt_unit_destroy(unit);
	pt_region_destroy(region);
}
END_TEST

START_TEST(region_is_sealed_and_cloexec)
{
	pt_region *region = create_or_fail(4096, 0);
	int fd = pt_region_fd(region);
	int seals = fcntl(fd, F_GET_SEALS);

	ck_assert_int_ge(seals, 0);
	ck_assert(seals & F_SEAL_SHRINK);
	ck_assert(seals & F_SEAL_GROW);
	ck_assert(seals & F_SEAL_SEAL);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_lt(ftruncate(fd, 0), 0);
	pt_region_destroy(region);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
	pt_region *region = (pt_region *)(uintptr_t)1;

	PT_ASSERT_ERR(pt_region_create(0, 0, &region), -EINVAL);
	PT_ASSERT_ERR(pt_region_create(PT_REGION_MAX + 1, 0, &region), -EINVAL);
	PT_ASSERT_ERR(pt_region_create(4096, 0x80, &region), -EINVAL);
	PT_ASSERT_ERR(pt_region_create(4096, 0, NULL), -EINVAL);
	ck_assert_ptr_eq(region, (pt_region *)(uintptr_t)1);
	PT_ASSERT_ERR(pt_region_open("/not-ours", &region), -EINVAL);
	PT_ASSERT_ERR(pt_region_open("/procthread-0-0-00000000", &region),
		      -ENOENT);
	PT_ASSERT_ERR(pt_region_fd(NULL), -EINVAL);
	pt_region_destroy(NULL);
}
END_TEST

START_TEST(fd_passes_to_an_unrelated_reader)
{
	pt_region *region = create_or_fail(8192, 0);
	pt_region *got = NULL;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	strcpy(pt_region_addr(region), "over SCM_RIGHTS");
	PT_ASSERT_OK(pt_region_send_fd(region, sv[0]));
	PT_ASSERT_OK(pt_region_recv_fd(sv[1], &got));
	ck_assert_uint_eq(pt_region_len(got), 8192);
	ck_assert_str_eq(pt_region_addr(got), "over SCM_RIGHTS");
	/* the same memory, not a copy */
	((char *)pt_region_addr(got))[0] = 'O';
	ck_assert_int_eq(((char *)pt_region_addr(region))[0], 'O');
	ck_assert(fcntl(pt_region_fd(got), F_GETFD) & FD_CLOEXEC);
	pt_region_destroy(got);
	pt_region_destroy(region);
	close(sv[0]);
	PT_ASSERT_ERR(pt_region_recv_fd(sv[1], &got), -EPIPE);
	close(sv[1]);
}
END_TEST

/* A descriptor whose size is not sealed could be truncated under the
 * receiver: it is refused. */
START_TEST(unsealed_fd_is_refused)
{
	int sv[2];
	int fd = memfd_create("unsealed", MFD_CLOEXEC);
	uint64_t len = 4096;
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &len, .iov_len = sizeof(len) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	pt_region *got = NULL;
	struct pt_ledger before, after;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), sizeof(len));
	pt_ledger_take(&before);
	PT_ASSERT_ERR(pt_region_recv_fd(sv[1], &got), -EBADMSG);
	ck_assert_ptr_null(got);
	pt_ledger_take(&after);
	assert_nothing_left(&before, &after, getpid());
	/* a length that does not match the sealed size is refused too */
	{
		pt_region *region = create_or_fail(4096, 0);
		int rfd = pt_region_fd(region);

		len = 8192;
		memcpy(CMSG_DATA(c), &rfd, sizeof(int));
		ck_assert_int_eq(sendmsg(sv[0], &msg, 0), sizeof(len));
		PT_ASSERT_ERR(pt_region_recv_fd(sv[1], &got), -EBADMSG);
		pt_region_destroy(region);
	}
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A hostile sender attaches more descriptors than the region's: a few
 * more are closed and the region still arrives; more than the receiver has
 * room for (the kernel truncates them) is refused. Either way nothing is
 * left open. */
START_TEST(extra_descriptors_are_closed)
{
	pt_region *region = create_or_fail(4096, 0);
	pt_region *got = NULL;
	struct pt_ledger before, after;
	uint64_t len = 4096;
	int fds[8], sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	fds[0] = pt_region_fd(region);
	for (int i = 1; i < 8; i++) {
		fds[i] = dup(fds[0]);
		ck_assert_int_ge(fds[i], 0);
	}
	pt_ledger_take(&before);
	ck_assert_int_eq(pt__fdpass_send(sv[0], &len, sizeof(len), fds, 3, 0),
			 sizeof(len));
	PT_ASSERT_OK(pt_region_recv_fd(sv[1], &got));
	ck_assert_uint_eq(pt_region_len(got), 4096);
	pt_region_destroy(got);
	got = NULL;
	ck_assert_int_eq(pt__fdpass_send(sv[0], &len, sizeof(len), fds, 8, 0),
			 sizeof(len));
	PT_ASSERT_ERR(pt_region_recv_fd(sv[1], &got), -EBADMSG);
	ck_assert_ptr_null(got);
	pt_ledger_take(&after);
	assert_nothing_left(&before, &after, getpid());
	for (int i = 1; i < 8; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
	pt_region_destroy(region);
}
END_TEST

START_TEST(named_region_is_unlinked_by_creator_only)
{
	struct pt_ledger before, after;
	pt_region *region;
	pt_region *other = NULL;
	char name[128];
	char path[160];
	pid_t pid;
	int wst;

	/* one round first, so that allocator growth is not counted */
	region = create_or_fail(4096, PT_REGION_NAMED);
	PT_ASSERT_OK(pt_region_open(pt_region_name(region), &other));
	pt_region_destroy(other);
	pt_region_destroy(region);
	pt_ledger_take(&before);
	region = create_or_fail(4096, PT_REGION_NAMED);
	ck_assert_ptr_nonnull(pt_region_name(region));
	strcpy(name, pt_region_name(region));
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(access(path, F_OK), 0);

	/* a forked copy of the handle does not unlink */
	pid = pt_test_fork();
	if (pid == 0) {
		pt_region_destroy(region);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_int_eq(access(path, F_OK), 0);

	PT_ASSERT_OK(pt_region_open(name, &other));
	strcpy(pt_region_addr(region), "named");
	ck_assert_str_eq(pt_region_addr(other), "named");
	pt_region_destroy(other);
	ck_assert_int_eq(access(path, F_OK), 0);

	pt_region_destroy(region);
	ck_assert_int_ne(access(path, F_OK), 0);
	pt_ledger_take(&after);
	assert_nothing_left(&before, &after, getpid());
}
END_TEST

/* A crash of the only process using an unnamed region leaves nothing in
 * /dev/shm. */
START_TEST(crash_leaves_no_shm_entry)
{
	struct pt_ledger before, after;
	pid_t pid;
	int wst;

	pt_ledger_take(&before);
	pid = pt_test_fork();
	if (pid == 0) {
		pt_region *region;

		if (pt_region_create(1 << 20, 0, &region))
			_exit(1);
		memset(pt_region_addr(region), 1, 1 << 20);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert(WIFSIGNALED(wst));
	pt_ledger_take(&after);
	assert_nothing_left(&before, &after, pid);
}
END_TEST

START_TEST(cycles_leave_nothing)
{
	struct pt_ledger before, after;

	/* warm up the allocator (ASan's grows its own maps) */
	for (int i = 0; i < 50; i++)
		pt_region_destroy(create_or_fail(4096, i % 2));
	pt_ledger_take(&before);
	for (int i = 0; i < 200; i++) {
		pt_region *r =
			create_or_fail(4096, i % 2 ? PT_REGION_NAMED : 0);

		pt_region_destroy(r);
	}
	pt_ledger_take(&after);
	assert_nothing_left(&before, &after, getpid());
}
END_TEST

/* The file behind a named region, under /dev/shm. */
static void shm_path(const pt_region *region, char *path, size_t cap)
{
	snprintf(path, cap, "/dev/shm%s", pt_region_name(region));
}

/* A look-alike open to everyone (planted with mode 0666, or loosened after
 * create) is not a region pt_region_create() made: -EACCES. */
START_TEST(open_refuses_loose_mode)
{
	pt_region *region = create_or_fail(4096, PT_REGION_NAMED);
	pt_region *other = NULL;
	char path[160];

	shm_path(region, path, sizeof(path));
	ck_assert_int_eq(chmod(path, 0666), 0);
	PT_ASSERT_ERR(pt_region_open(pt_region_name(region), &other), -EACCES);
	ck_assert_ptr_null(other);
	ck_assert_int_eq(chmod(path, 0640), 0);
	PT_ASSERT_ERR(pt_region_open(pt_region_name(region), &other), -EACCES);
	ck_assert_int_eq(chmod(path, 0600), 0);
	PT_ASSERT_OK(pt_region_open(pt_region_name(region), &other));
	pt_region_destroy(other);
	pt_region_destroy(region);
}
END_TEST

/* Another user's region is refused even to root, whom the kernel's
 * permission check lets through. Needs root to give the file away. */
START_TEST(open_refuses_foreign_owner)
{
	pt_region *region = create_or_fail(4096, PT_REGION_NAMED);
	pt_region *other = NULL;
	char path[160];

	shm_path(region, path, sizeof(path));
	if (chown(path, 65534, 65534) != 0) {
		fprintf(stderr, "open_refuses_foreign_owner: not root, "
				"owner check not exercised\n");
		pt_region_destroy(region);
		return;
	}
	PT_ASSERT_ERR(pt_region_open(pt_region_name(region), &other), -EACCES);
	ck_assert_ptr_null(other);
	pt_region_destroy(region);
}
END_TEST

/* A size that is no whole number of pages was not made by create. */
START_TEST(open_refuses_truncated_file)
{
	pt_region *region = create_or_fail(2 * 4096, PT_REGION_NAMED);
	pt_region *other = NULL;

	ck_assert_int_eq(ftruncate(pt_region_fd(region), 4096 + 100), 0);
	PT_ASSERT_ERR(pt_region_open(pt_region_name(region), &other), -EBADMSG);
	ck_assert_ptr_null(other);
	pt_region_destroy(region);
}
END_TEST

/* In a private mount namespace with a 64 KiB /dev/shm: a named region that
 * does not fit is -ENOSPC at create and leaves no name; one that fits can be
 * written to its last byte. Exit 0 pass, 1 fail, 77 cannot set up. */
static int full_shm_child(void)
{
	pt_region *region = NULL;
	char path[160];
	int rc;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k") != 0)
		return 77;
	rc = pt_region_create(1 << 20, PT_REGION_NAMED, &region);
	if (rc != -ENOSPC || region)
		return 1;
	if (pt_shm_entries_of(getpid()) != 0)
		return 1;
	if (pt_region_create(16384, PT_REGION_NAMED, &region))
		return 1;
	memset(pt_region_addr(region), 1, pt_region_len(region));
	shm_path(region, path, sizeof(path));
	pt_region_destroy(region);
	return access(path, F_OK) == 0 ? 1 : 0;
}

START_TEST(named_create_on_full_shm_is_enospc)
{
	pid_t pid = pt_test_fork();
	int wst;

	if (pid == 0)
		_exit(full_shm_child());
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_msg(WIFEXITED(wst), "child died of signal %d (SIGBUS=%d)",
		      WTERMSIG(wst), SIGBUS);
	if (WEXITSTATUS(wst) == 77) {
		fprintf(stderr, "named_create_on_full_shm_is_enospc: no "
				"private mount namespace (not root?), "
				"skipped\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(wst), 0);
}
END_TEST

static Suite *region_suite(void)
{
	return PT_TEST_SUITE(
		"region",
		{ "region",
		  .once = PT_TESTS(
			  region_is_sealed_and_cloexec,
			  bad_arguments_are_refused,
			  fd_passes_to_an_unrelated_reader,
			  unsealed_fd_is_refused, extra_descriptors_are_closed,
			  named_region_is_unlinked_by_creator_only,
			  crash_leaves_no_shm_entry, cycles_leave_nothing,
			  open_refuses_loose_mode, open_refuses_foreign_owner,
			  open_refuses_truncated_file,
			  named_create_on_full_shm_is_enospc),
		  .for_kinds = PT_TESTS(unit_writes_are_seen_by_creator) });
}

PT_TEST_MAIN(region_suite)
