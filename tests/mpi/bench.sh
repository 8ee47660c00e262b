#!/bin/sh
# bench.sh TOOL - `procthread bench` as the ranks of one mpirun
# (bench/mpi.h): outside mpirun the mpi suite only notes why it measured
# nothing; under `mpirun -np 2` rank 0 writes the pool records of threads,
# processes and ranks, rank 1 serves and prints nothing, and the job ends.
# Exits 77 (skipped) without MPI, as run.sh.
tool=$1
if [ -z "${PT_MPIEXEC:-}" ] || [ -z "${PT_HAVE_MPI:-}" ]; then
	exec sh "$(dirname "$0")/run.sh" 2 ""
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

"$tool" bench --quick --json "$tmp/alone.json" mpi >"$tmp/alone.txt" 2>&1 ||
	fail "bench mpi outside mpirun: $(cat "$tmp/alone.txt")"
jq -e '(.results | length) == 0 and
	any(.notes[]; test("^mpi: not run under mpirun"))' \
	"$tmp/alone.json" >/dev/null ||
	fail "outside mpirun: no note, or records: $(cat "$tmp/alone.json")"

timeout "${PT_MPI_TIMEOUT:-300}" "$PT_MPIEXEC" --allow-run-as-root \
	--oversubscribe --bind-to none --mca btl self,vader -np 2 \
	"$tool" bench --quick --runs 5 --min-time 0.01 --no-peers \
	--json "$tmp/r.json" mpi >"$tmp/out.txt" 2>&1 ||
	fail "under mpirun: exit $?: $(cat "$tmp/out.txt")"
# one table, from rank 0 only
[ "$(grep -c '^suite ' "$tmp/out.txt")" = 1 ] ||
	fail "not exactly one table: $(cat "$tmp/out.txt")"
jq -e '[.results[] | select(.suite == "mpi")] as $r |
	($r | length) == 6 and
	([$r[] | select(.params.transport == "mpi" and .kind == "process")] |
		length) == 2 and
	([$r[] | select(.params.transport == "local")] | length) == 4 and
	all($r[]; .params.workers == 1 and .median > 0) and
	([$r[] | .unit] | sort | unique) == ["ns", "tasks/s"]' \
	"$tmp/r.json" >/dev/null ||
	fail "records: $(jq -c '.results' "$tmp/r.json")"
echo "ok: bench mpi notes why outside mpirun, and measures the ranks' pool under it"
