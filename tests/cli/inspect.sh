# inspect.sh - `procthread inspect`: the control block of a known process
# (the tool itself, this shell) read back through --json and checked; a pid
# another user's process may not be read from gives one message, exit 1
# and nothing on stdout; bad arguments exit 2. Cases that need a process
# in a given state (threads, a zombie, a dead pid, a thread's id) are in
# tests/tool/inspect.c (test_inspect).
. "$(dirname "$0")/../support/cli.sh"

if ! command -v jq >/dev/null 2>&1; then
	echo "FAIL: jq is required (scripts/bootstrap.sh installs it)"
	exit 1
fi

# check DESCRIPTION JQ-EXPRESSION: true of the last command's stdout.
check() {
	if [ "$(jq -r "$2" "$pt_tmp/out" 2>&1)" = true ]; then
		pass
	else
		fail "$1: $2"
		head -c 600 "$pt_tmp/out" | sed 's/^/  out: /'
	fi
}

expect_status 0 "inspect self" -- "$PROCTHREAD" inspect self
expect_empty err "inspect self writes no errors"
expect_grep out "^process [0-9]+ \(procthread\): running$" "the heading"
expect_grep out "^  limits .*soft +hard" "the limits"
expect_grep out "Max open files +[0-9]+ +[0-9]+ +files" "open files limit"
expect_grep out "^  threads +1; all share one address space" \
	"what threads share"
expect_grep out "each owns its tid, state, stack, registers" \
	"what each thread owns"

expect_status 0 "inspect self --json" -- "$PROCTHREAD" inspect self --json
check "itself: one running thread, its own command" \
	'.command == "procthread" and .state == "R" and .num_threads == 1 and (.cmdline | test("inspect self --json"))'
check "itself: memory, limits and descriptors read" \
	'.memory.resident_bytes > 0 and .memory.virtual_bytes >= .memory.resident_bytes and .memory.private_bytes > 0 and .limits["Max open files"].soft > 0 and .num_fds >= 3 and .num_maps > 5'
check "itself: scheduling and affinity" \
	'.policy == "SCHED_OTHER" and .priority == 20 + .nice and (.cpus_allowed | test("^[0-9]"))'
check "itself: the shared and the owned parts are named" \
	'(.shared_by_threads | index("address space") != null) and (.owned_by_each_thread | index("stack") != null)'

expect_status 0 "inspect this shell" -- "$PROCTHREAD" inspect $$ --json --threads --fds
check "this shell: its pid, parent and user" \
	".pid == $$ and .ppid == $PPID and .uid == $(id -u) and .user == \"$(id -un)\""
check "this shell: its thread and descriptors listed" \
	".threads[0].tid == $$ and (.fds | length) == .num_fds and (.fds | map(.fd) | index(0) != null)"
check "this shell: started before now, after boot" \
	'.elapsed_s > 0 and .start_epoch_s <= now'

expect_status 0 "inspect this shell --maps" -- "$PROCTHREAD" inspect $$ --maps
expect_grep out "^mappings: [0-9]+, one address space shared by every thread" \
	"the mappings heading"
expect_grep out "/bash$" "the shell's executable is mapped"

# pid 1 as a user that is not its owner: refused, whole.
others=""
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		others="setpriv --reuid=65534 --regid=65534 --clear-groups"
	else
		echo "note: pid 1 as another user not checked: setpriv is missing"
	fi
elif [ "$(stat -c %u /proc/1)" != "$(id -u)" ]; then
	others="env"
else
	echo "note: pid 1 as another user not checked: this user owns pid 1"
fi
if [ -n "$others" ]; then
	expect_status 1 "pid 1 as another user" -- $others "$PROCTHREAD" inspect 1
	expect_empty out "pid 1 as another user: nothing on stdout"
	expect_grep err "^procthread inspect: not allowed to read /proc/1/[a-z_]+: process 1 belongs to " \
		"pid 1 as another user: says why"
	expect_status 1 "pid 1 as another user, --json" -- $others "$PROCTHREAD" inspect 1 --json
	expect_empty out "pid 1 as another user, --json: nothing on stdout"
fi

expect_status 2 "no pid" -- "$PROCTHREAD" inspect
expect_grep err "expected one PID or 'self'" "no pid: says what is expected"
expect_status 2 "a word" -- "$PROCTHREAD" inspect init
expect_grep err "'init' is not a pid; accepted: a number from 1 to" \
	"a word: says what is accepted"
expect_status 2 "pid 0" -- "$PROCTHREAD" inspect 0
expect_status 2 "a negative pid" -- "$PROCTHREAD" inspect -- -5
expect_status 2 "a pid too large" -- "$PROCTHREAD" inspect 99999999999
expect_status 2 "two pids" -- "$PROCTHREAD" inspect 1 2
expect_status 2 "an unknown option" -- "$PROCTHREAD" inspect self --all
expect_grep err "unknown option '--all'" "the unknown option named"
# A kernel thread (kthreadd is pid 2 where the pid namespace is the
# machine's) has no address space: said so, not "it ended".
if grep -q '^kthreadd$' /proc/2/comm 2>/dev/null; then
	expect_status 1 "a kernel thread" -- "$PROCTHREAD" inspect 2
	expect_grep err "^procthread inspect: 2 \(kthreadd\) is a kernel thread: it has no address space" \
		"a kernel thread is called one"
	expect_empty out "a kernel thread: nothing on stdout"
else
	echo "note: pid 2 is not kthreadd here; kernel thread case skipped"
fi
expect_status 0 "help inspect" -- "$PROCTHREAD" help inspect
expect_grep out "usage: procthread inspect PID\|self" "help shows the usage"

finish
