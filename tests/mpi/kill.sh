#!/bin/sh
# kill.sh NP PROGRAM - a serving rank is killed during a pool's run
# (test_mpi_kill.c); checks what happens under plain mpirun and under
# mpirun --enable-recovery. Exits 77 (skipped) without MPI, as run.sh.
np=$1
prog=$2
if [ -z "$prog" ] || [ -z "${PT_MPIEXEC:-}" ]; then
	exec sh "$(dirname "$0")/run.sh" "$np" ""
fi
out=$(mktemp)
dir=$(mktemp -d)
trap 'rm -rf "$out" "$dir"' EXIT
limit=${PT_MPI_TIMEOUT:-120}
mpirun() {
	sh "$(dirname "$0")/../support/bounded.sh" "$limit" \
		"$PT_MPIEXEC" --allow-run-as-root --oversubscribe \
		--mca btl self,vader -np "$np" "$@" >"$out" 2>&1
}
fail() {
	echo "FAIL: $*"
	sed 's/^/    | /' "$out"
	exit 1
}

# By default the runtime aborts the whole job: mpirun exits non-zero
# (with the killed rank's status), says which rank died of what, and no
# rank gets to its normal end (MPI_Finalize waits for the dead rank, and
# is cut short). Rank 0 may see the death and resolve its tasks before
# the runtime kills it, or not: that race is the runtime's.
mpirun "$prog" abort "$dir"
rc=$?
[ "$rc" = 124 ] && fail "plain mpirun: still running after ${limit}s"
[ "$rc" = 0 ] && fail "plain mpirun: exit status 0 after a rank was killed"
grep -q "exited on signal 9" "$out" ||
	fail "plain mpirun: no word of the rank killed by signal 9"
grep -q "all passed" "$out" &&
	fail "plain mpirun: the job ended normally although it was aborted"
echo "ok: plain mpirun aborted the job (exit $rc) and named the killed rank"

# With --enable-recovery the job goes on; the owner sees the death
# itself (test_mpi_kill.c asserts what each task became).
rm -f "$dir/died"
mpirun --enable-recovery "$prog" recover "$dir"
rc=$?
[ "$rc" = 124 ] && fail "--enable-recovery: still running after ${limit}s"
grep -q "recover: every task resolved" "$out" ||
	fail "--enable-recovery: the owner did not finish (exit $rc)"
grep -q "recover: all checked" "$out" ||
	fail "--enable-recovery: rank 0 did not get to its end (exit $rc)"
echo "ok: --enable-recovery: the job went on, every task resolved (exit $rc)"
