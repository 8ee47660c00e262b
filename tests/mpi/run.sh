#!/bin/sh
# run.sh NP PROGRAM [ARGS...] - runs an MPI test as NP ranks under mpirun,
# bounded by a time limit so that no failure can hang CTest. Exits 77, which
# CTest reports as skipped (SKIP_RETURN_CODE), with one line saying why,
# when procthread was built without MPI (PROGRAM is then empty).
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
"$PT_MPIEXEC" --allow-run-as-root --oversubscribe --bind-to none \
	--mca btl self,vader -np "$np" "$prog" "$@" &
job=$!
# Every job here ends in well under a minute, under ASan on a busy 2-CPU
# machine too: one still running at the limit is hung, not slow. Before it
# is killed, stacks.sh says where each of its threads waits - the only
# trace such a hang leaves when it happens once in many runs, in CI.
limit=${PT_MPI_TIMEOUT:-300}
waited=0
while kill -0 "$job" 2>/dev/null; do
	if [ "$waited" -ge "$limit" ]; then
		echo "run.sh: the job still runs after $limit s; where it waits:"
		sh "$(dirname "$0")/../support/stacks.sh" "$job"
		kill -TERM "$job"
		sleep 10
		kill -KILL "$job" 2>/dev/null
		wait "$job"
		exit 124
	fi
	sleep 1
	waited=$((waited + 1))
done
wait "$job"
