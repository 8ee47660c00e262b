#!/bin/sh
# multihost.sh TOOL TEST_MPI_POOL TEST_MPI_CHAN - MPI beyond one host, on one
# machine. Two network namespaces, made here and removed at the end, are
# the hosts: a veth pair made inside them joins them, and its two
# link-local addresses (169.254.0.0/16, never routed) exist only there, so
# nothing outside the pair is ever a target. mpirun runs in the first,
# under a hostname of its own (a UTS namespace); its rsh agent, written
# here, starts the second host's daemon with `ip netns exec` under another
# hostname and refuses every address but the second host's. The ranks talk
# through TCP alone (btl self,tcp) over the pair.
#
# There it runs the channel and pool conformance (test_mpi_chan,
# test_mpi_pool) and `procthread bench ipc pool`, and prints the bench's
# transport=mpi round trip (64 B) and empty-task throughput beside the
# same bench's on one host (shared memory), run just before.
#
# Root only (namespaces); skipped (77) with a one-line note otherwise, or
# without MPI, ip(8) or unshare(1), or where namespaces cannot be made.
tool=$1
pool=$2
chan=$3
here=$(dirname "$0")
if [ -z "$pool" ] || [ -z "${PT_MPIEXEC:-}" ] || [ -z "${PT_HAVE_MPI:-}" ]; then
	exec sh "$here/run.sh" 2 ""
fi
skip() {
	echo "skipped: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
for cmd in ip unshare hostname jq; do
	command -v "$cmd" >/dev/null 2>&1 || skip "no $cmd"
done

tmp=$(mktemp -d)
a=ptmh$$a # namespace and interface names: at most 15 characters
b=ptmh$$b
addr_a=169.254.77.1
addr_b=169.254.77.2
net=169.254.77.0/30
cleanup() {
	for ns in "$a" "$b"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # a list of pids
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $1"
	[ -f "${2:-}" ] && sed 's/^/    | /' "$2"
	exit 1
}

ip netns add "$a" 2>"$tmp/err" ||
	skip "cannot make a network namespace: $(cat "$tmp/err")"
if ! { ip netns add "$b" &&
	ip -n "$a" link add "$a" type veth peer name "$b" netns "$b" &&
	ip -n "$a" addr add "$addr_a/30" dev "$a" &&
	ip -n "$b" addr add "$addr_b/30" dev "$b" &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up &&
	ip -n "$a" link set "$a" up && ip -n "$b" link set "$b" up; } \
	2>"$tmp/err"; then
	skip "cannot join two network namespaces: $(head -1 "$tmp/err")"
fi
unshare --uts true 2>"$tmp/err" ||
	skip "cannot make a UTS namespace: $(head -1 "$tmp/err")"

printf '%s slots=1\n%s slots=1\n' "$addr_a" "$addr_b" >"$tmp/hosts"
# mpirun calls its rsh agent as `AGENT HOST COMMAND...`, COMMAND being a
# shell command line for the remote host, as ssh would take it.
cat >"$tmp/agent" <<AGENT
#!/bin/sh
if [ "\$1" != "$addr_b" ]; then
	echo "multihost.sh's agent: \$1 is not this test's second host" >&2
	exit 1
fi
shift
exec ip netns exec "$b" unshare --uts \\
	sh -c 'hostname ptmh-b && exec sh -c "\$0"' "\$*"
AGENT
chmod +x "$tmp/agent"

# across ARGS...: ARGS as one rank on each host, bounded as run.sh's jobs.
across() {
	sh "$here/../support/bounded.sh" "${PT_MPI_TIMEOUT:-300}" \
		ip netns exec "$a" unshare --uts \
		sh -c 'hostname ptmh-a && exec "$@"' sh \
		"$PT_MPIEXEC" --allow-run-as-root --hostfile "$tmp/hosts" \
		--mca plm_rsh_agent "$tmp/agent" --bind-to none \
		--mca btl self,tcp --mca btl_tcp_if_include "$net" \
		--mca oob_tcp_if_include "$net" -np 2 "$@"
}

across uname -n >"$tmp/names" 2>&1 ||
	fail "mpirun across the two hosts: exit $?" "$tmp/names"
[ "$(sort "$tmp/names" | tr '\n' ' ')" = "ptmh-a ptmh-b " ] ||
	fail "the two ranks did not run on the two hosts" "$tmp/names"
echo "ok: one rank on each host (ptmh-a, ptmh-b), TCP between them"

for prog in "$chan" "$pool"; do
	across "$prog" >"$tmp/out" 2>&1 ||
		fail "$(basename "$prog") across two hosts: exit $?" "$tmp/out"
	grep -q "all passed" "$tmp/out" ||
		fail "$(basename "$prog") across two hosts: no 'all passed'" \
			"$tmp/out"
	echo "ok: $(basename "$prog") passes across two hosts"
done

short="--quick --runs 3 --min-time 0.01 --no-peers --color=never"
# shellcheck disable=SC2086
sh "$here/run.sh" 2 "$tool" bench $short --json "$tmp/one.json" ipc pool \
	>"$tmp/out" 2>&1 || fail "bench on one host: exit $?" "$tmp/out"
# shellcheck disable=SC2086
across "$tool" bench $short --json "$tmp/two.json" ipc pool \
	>"$tmp/out" 2>&1 || fail "bench across two hosts: exit $?" "$tmp/out"

# figure FILE NAME JQ-FILTER: the median of the first transport=mpi
# record called NAME that the filter keeps.
figure() {
	jq -e --arg n "$2" "first(.results[] | select(.name == \$n and
		.params.transport == \"mpi\") | select($3) | .median)" "$1"
}
if ! { rt_one=$(figure "$tmp/one.json" latency '.params.size == 64') &&
	rt_two=$(figure "$tmp/two.json" latency '.params.size == 64') &&
	tp_one=$(figure "$tmp/one.json" task-throughput \
		'.params.workload == "empty"') &&
	tp_two=$(figure "$tmp/two.json" task-throughput \
		'.params.workload == "empty"'); }; then
	fail "the bench's transport=mpi records are missing" "$tmp/two.json"
fi
awk -v r1="$rt_one" -v r2="$rt_two" -v t1="$tp_one" -v t2="$tp_two" 'BEGIN {
	if (!(r1 > 0 && r2 > 0 && t1 > 0 && t2 > 0)) exit 1
	printf "transport mpi, median of the same bench on one host and on two:\n"
	printf "  64 B round trip   one host %8.1f us   two hosts %8.1f us\n",
		r1 / 1e3, r2 / 1e3
	printf "  empty tasks/s     one host %8.1f k    two hosts %8.1f k\n",
		t1 / 1e3, t2 / 1e3
}' || fail "a transport=mpi figure is not positive" "$tmp/two.json"
echo "ok: bench ipc pool runs across two hosts"
