/* start.c - what the ranks of a pool agree on before the first task: the
 * registry of named tasks and the start-up handshake.
 *
 * Separately started programs do not share function addresses, so a task
 * travels as its index in a registry that every rank fills the same way.
 * "The same way" is checked rather than trusted: every rank hashes the
 * names of its registry, in order, and the handshake compares the hashes,
 * so a rank built from another version of the program fails the start in
 * every rank (-EPROTO) instead of running the wrong function.
 *
 * The handshake is collective over the caller's communicator: a duplicate
 * for the pool's own traffic, the owner's sizes broadcast to the servers,
 * and an all-gather of each rank's verdict on its own options, its pid and
 * its host identity, from which every rank computes the same outcome.
 */
#include "mpi/mpi_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_DEPTH 2
#define MAX_DEPTH     64

int pt__mpi_ready(void)
{
	int init = 0, fini = 0;

	MPI_Initialized(&init);
	MPI_Finalized(&fini);
	return init && !fini ? 0 : -ENOTCONN;
}

int pt__mpi_check_opts(struct pt_pool_opts *o)
{
	if (!o->n_tasks || pt__pool_registry_check(o->tasks, o->n_tasks))
		return -EINVAL;
	if (o->depth > MAX_DEPTH)
		return -EINVAL;
	if (o->depth == 0)
		o->depth = DEFAULT_DEPTH;
	return 0;
}

/* FNV-1a over the names, each ended by its NUL. */
static uint64_t digest(const struct pt_pool_task *tasks, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)tasks[i].name;

		do {
			h ^= *p;
			h *= 0x100000001b3u;
		} while (*p++);
	}
	return h;
}

/* The boot id and the pid namespace: two processes with both equal can
 * name each other by pid. */
static void host_identity(char *out, size_t cap)
{
	char boot[40] = "", ns[40] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	ssize_t n;

	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	snprintf(out, cap, "%s %s", boot, ns);
}

bool pt__mpi_same_host(const struct pt__mpi_peer *peer)
{
	char me[sizeof(peer->host)];

	host_identity(me, sizeof(me));
	/* an empty identity (no /proc) never matches */
	return me[0] != ' ' && !strncmp(me, peer->host, sizeof(me));
}

int pt__mpi_start(MPI_Comm comm, const struct pt_pool_task *tasks, size_t n,
		  int verdict, struct pt__mpi_config *cfg, MPI_Comm *pcomm,
		  struct pt__mpi_peer **peers)
{
	struct pt__mpi_peer me = { .digest = digest(tasks, n),
				   .n_tasks = n,
				   .pid = (int32_t)getpid() };
	struct pt__mpi_peer *all;
	int size, rc;

	host_identity(me.host, sizeof(me.host));
	if (MPI_Comm_dup(comm, pcomm) != MPI_SUCCESS)
		return -EIO;
	MPI_Comm_size(*pcomm, &size);
	all = calloc((size_t)size, sizeof(*all));
	rc = all ? verdict : -ENOMEM;
	/* the most negative error of any rank, in every rank */
	MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MIN, *pcomm);
	if (rc || !all) {
		rc = rc ? rc : -ENOMEM;
		goto err_free;
	}
	MPI_Bcast(cfg, sizeof(*cfg), MPI_BYTE, 0, *pcomm);
	MPI_Allgather(&me, sizeof(me), MPI_BYTE, all, sizeof(me), MPI_BYTE,
		      *pcomm);
	/* every rank compares the same table: the same outcome everywhere */
	for (int r = 1; r < size && !rc; r++)
		if (all[r].digest != all[0].digest ||
		    all[r].n_tasks != all[0].n_tasks)
			rc = -EPROTO;
	if (rc)
		goto err_free;
	*peers = all;
	return 0;

err_free:
	free(all);
	MPI_Comm_free(pcomm);
	return rc;
}
