#!/bin/sh
# run.sh NP PROGRAM [ARGS...] - runs an MPI test as NP ranks under mpirun,
# bounded by a time limit so that no failure can hang CTest (a job past it
# is shown, thread by thread, before it is killed: tests/support/bounded.sh).
# Exits 77, which CTest reports as skipped (SKIP_RETURN_CODE), with one
# line saying why, when procthread was built without MPI (PROGRAM is then
# empty).
#   PT_MPIEXEC  the mpirun to use (set by tests/mpi/CMakeLists.txt)
#   PT_MPI_TIMEOUT  seconds before the job is killed (default 300)
np=$1
prog=$2
shift 2
if [ -z "$prog" ]; then
	echo "skipped: procthread was configured without MPI (scripts/bootstrap.sh --optional installs Open MPI; then reconfigure)"
	exit 77
fi
if [ -z "${PT_MPIEXEC:-}" ] || ! command -v "$PT_MPIEXEC" >/dev/null 2>&1; then
	echo "skipped: no mpirun found"
	exit 77
fi
# --oversubscribe: more ranks than CPUs; --bind-to none: ranks that share
# the CPUs are not held to one core each; --allow-run-as-root: CI runs as
# root; btl self,vader: ranks of one host talk through shared memory.
exec sh "$(dirname "$0")/../support/bounded.sh" "${PT_MPI_TIMEOUT:-300}" \
	"$PT_MPIEXEC" --allow-run-as-root --oversubscribe --bind-to none \
	--mca btl self,vader -np "$np" "$prog" "$@"
