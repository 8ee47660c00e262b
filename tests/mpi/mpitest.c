/* mpitest.c - the harness of the MPI tests (mpitest.h). */
#include "mpitest.h"

#include <stdlib.h>

int mpt_rank, mpt_size;
MPI_Comm mpt_pair = MPI_COMM_NULL;
int mpt_pair_rank = -1;

void mpt_init(int *argc, char ***argv)
{
	int provided = 0, pair_size = 0;

	MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &mpt_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &mpt_size);
	MPT_CHECK(provided == MPI_THREAD_MULTIPLE, "thread level %d", provided);
	MPI_Comm_split(MPI_COMM_WORLD, mpt_rank / 2, mpt_rank, &mpt_pair);
	MPI_Comm_size(mpt_pair, &pair_size);
	if (pair_size == 2) {
		MPI_Comm_rank(mpt_pair, &mpt_pair_rank);
	} else {
		MPI_Comm_free(&mpt_pair);
		mpt_pair = MPI_COMM_NULL;
	}
}

void mpt_run(const char *name, void (*fn)(void))
{
	MPI_Barrier(MPI_COMM_WORLD);
	if (mpt_rank == 0) {
		printf("%d ranks: %s\n", mpt_size, name);
		fflush(stdout);
	}
	fn();
	MPI_Barrier(MPI_COMM_WORLD);
}

void mpt_run_pair(const char *name, void (*fn)(void))
{
	MPI_Barrier(MPI_COMM_WORLD);
	if (mpt_rank == 0) {
		printf("%d ranks: %s\n", mpt_size, name);
		fflush(stdout);
	}
	if (mpt_pair != MPI_COMM_NULL)
		fn();
	MPI_Barrier(MPI_COMM_WORLD);
}

int mpt_finish(void)
{
	if (mpt_pair != MPI_COMM_NULL)
		MPI_Comm_free(&mpt_pair);
	MPI_Finalize();
	if (mpt_rank == 0)
		printf("all passed\n");
	return 0;
}
