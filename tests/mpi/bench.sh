#!/bin/sh
# bench.sh TOOL - `procthread bench` as the ranks of one mpirun
# (tool/bench/suites/mpi.h): outside mpirun the pool suite has no MPI records; under
# `mpirun -np 2` rank 0 adds the pool of ranks (transport mpi) to the pool
# suite's records, rank 1 serves and prints nothing, and the job ends.
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
short="--quick --runs 3 --min-time 0.01 --no-peers --color=never"

# shellcheck disable=SC2086
"$tool" bench $short --json "$tmp/alone.json" pool >"$tmp/alone.txt" 2>&1 ||
	fail "bench pool outside mpirun: $(cat "$tmp/alone.txt")"
jq -e '(.results | length) > 0 and
	([.results[] | select(.params.transport == "mpi")] | length) == 0' \
	"$tmp/alone.json" >/dev/null ||
	fail "outside mpirun: MPI records, or none at all"

# shellcheck disable=SC2086
sh "$(dirname "$0")/run.sh" 2 "$tool" bench $short --json "$tmp/r.json" \
	pool >"$tmp/out.txt" 2>&1 ||
	fail "under mpirun: exit $?: $(cat "$tmp/out.txt")"
# one table, from rank 0 only
[ "$(grep -c '^procthread .* bench, profile' "$tmp/out.txt")" = 1 ] &&
	[ "$(grep -c '^Summary: ' "$tmp/out.txt")" = 1 ] ||
	fail "not exactly one table: $(cat "$tmp/out.txt")"
jq -e '[.results[] | select(.params.transport == "mpi")] as $r |
	($r | length) == 6 and
	all($r[]; .suite == "pool" and .kind == "process" and
		.params.workers == 1 and .median > 0) and
	([$r[] | select(.name == "task-latency" and
		.params.workload == "payload")] | length) == 4 and
	([$r[] | select(.name == "task-throughput")] | .[0].unit) == "tasks/s"' \
	"$tmp/r.json" >/dev/null ||
	fail "records: $(jq -c '[.results[] | select(.params.transport == "mpi")]' "$tmp/r.json")"
echo "ok: bench pool adds the pool of ranks under mpirun, and only there"
