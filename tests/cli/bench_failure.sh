# bench_failure.sh - the failure suite's figures, read back from its JSON
# and checked for what each kind must show: a crashing process unit dies
# alone, a crashing thread takes every sibling; a process can be stopped
# and limited on its own, a thread that never checks cannot be stopped and
# a limit aimed at one thread binds its whole process. No timing is checked
# beyond being a positive duration.
. "$(dirname "$0")/../support/cli.sh"

if ! command -v jq >/dev/null 2>&1; then
	echo "FAIL: jq is required (scripts/bootstrap.sh installs it)"
	exit 1
fi
# The suite crashes units on purpose: sanitizers must let the signals
# through (the ASAN_OPTIONS and TSAN_OPTIONS of tests/CMakeLists.txt do).

expect_status 0 "bench failure --quick --runs 3" -- "$PROCTHREAD" bench failure \
	--quick --runs 3 --no-peers --quiet --json "$pt_tmp/r.json"

# check DESCRIPTION JQ-EXPRESSION over the failure records as $r.
check() {
	if [ "$(jq -r "[.results[] | select(.suite == \"failure\")] as \$r | $2" \
		"$pt_tmp/r.json" 2>&1)" = true ]; then
		pass
	else
		fail "$1: $2"
	fi
}
# All samples of a record are the same value: min == max == v.
always='(.min == .max)'

check "every crash mode and unit count, both kinds" \
	'[$r[] | select(.name == "siblings-survived")] | length == 16'
check "processes: every sibling survives a crash" \
	"all(\$r[] | select(.name == \"siblings-survived\" and .kind == \"process\"); $always and .median == .params.units - 1)"
check "threads: no sibling survives a crash" \
	"all(\$r[] | select(.name == \"siblings-survived\" and .kind == \"thread\"); $always and .median == 0)"
check "processes lose none of the siblings' work, threads all of it" \
	"all(\$r[] | select(.name == \"work-lost\"); $always and .median == (if .kind == \"process\" then 0 else 100 end))"
check "a crash is detected after it happened" \
	'all($r[] | select(.name == "detect" or .name == "recover"); .min > 0 and .unit == "ns")'
check "recovery is measured for both kinds, each its own way" \
	'[$r[] | select(.name == "recover") | "\(.kind)/\(.params.via)"] | unique == ["process/pool", "process/supervisor", "thread/new-process"]'
check "stopping: process killed, checking thread cancelled, both in time" \
	"all(\$r[] | select(.name == \"stopped-in-time\" and (.kind == \"process\" or .params.checks != \"never\")); $always and .median == 100)"
check "stopping: a thread that never checks is never stopped" \
	"[\$r[] | select(.name == \"stopped-in-time\" and .kind == \"thread\" and .params.checks == \"never\")] | length == 1 and all(.[]; $always and .median == 0)"
# An ASan build cannot measure the limits (tool/bench/suites/failure_limits.c):
# it must leave them out and say so; every other build must measure them.
if "$PROCTHREAD" --version | grep -q "sanitize=address"; then
	check "limits: left out of an ASan build" \
		'[$r[] | select(.params.limit == "RLIMIT_AS")] | length == 0'
	check "limits: a note says why" \
		'any(.notes[]?; test("resource limits: not measured in an ASan build"))'
else
	check "limits: both kinds, both figures" \
		'[$r[] | select(.params.limit == "RLIMIT_AS")] | length == 4'
fi
check "limits: one process limited, both threads" \
	"all(\$r[] | select(.name == \"units-limited\"); $always and .median == (if .kind == \"process\" then 1 else 2 end))"
check "limits: a process's sibling unaffected, a thread's starved" \
	"all(\$r[] | select(.name == \"sibling-alloc\"); $always and .median == (if .kind == \"process\" then 100 else 0 end))"
check "three samples each" 'all($r[]; .samples == 3)'

expect_status 0 "bench --list names the failure suite" -- "$PROCTHREAD" bench --list
expect_grep out "^  failure +blast radius" "failure in --list"

finish
