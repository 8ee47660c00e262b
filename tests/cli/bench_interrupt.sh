# bench_interrupt.sh - Ctrl-C or SIGTERM during `procthread bench`: the
# progress line is cleared, one line says what was interrupted, no output
# or temporary file is left, every process the run started is gone, and
# the status is 130 for SIGINT, 143 for SIGTERM.
. "$(dirname "$0")/../support/cli.sh"

for tool in script pgrep; do
	if ! command -v "$tool" >/dev/null; then
		echo "note: $tool is missing (util-linux, procps); skipped"
		finish
		exit
	fi
done

# An interrupted run ends with _exit() while a case's threads still run:
# that is the design (a signal handler cannot join them), so under
# ThreadSanitizer their leak is no finding, and its exit code 66 must not
# stand in for 130.
export TSAN_OPTIONS="${TSAN_OPTIONS:-}:report_thread_leaks=0"

d="$pt_tmp/run"
mkdir "$d"
# Outputs that exist before the run must be left as they were.
echo old >"$d/old.json"

# interrupt SIGNAL SUITE: runs `bench SUITE` on a terminal (script(1)
# gives it one, so it draws its progress line), waits for the first
# progress output rather than a fixed time, sends SIGNAL to procthread
# itself, and leaves its status in $got and its terminal output in
# $pt_tmp/tty.
interrupt() {
	local sig=$1 suite=$2 pid="" i
	rm -f "$pt_tmp/tty" "$pt_tmp/status"
	script -qfec "$PROCTHREAD bench $suite --json $d/old.json --csv $d/new.csv --html $d/new.html 2>&1; echo \$? >$pt_tmp/status" /dev/null \
		</dev/null >"$pt_tmp/tty" 2>&1 &
	local script_pid=$!
	for i in $(seq 1 300); do
		grep -q '\[round' "$pt_tmp/tty" 2>/dev/null && break
		sleep 0.1
	done
	# Its own command line: other tests run procthread bench beside this
	# one. The oldest process that has it: the children the run forks
	# carry the same command line, and once pids wrap (pid_max is 32768
	# on the CI machines) one of them may have the lowest pid.
	pid=$(pgrep -o -f "^$PROCTHREAD bench $suite --json $d/old.json ")
	if [ -z "$pid" ]; then
		fail "no progress line from bench $suite in 30 s"
		kill "$script_pid" 2>/dev/null
		wait "$script_pid"
		got=none
		return
	fi
	# The processes the run has started by now; with a third argument,
	# wait (up to 10 s) until there is one.
	for i in $(seq 1 100); do
		pgrep -P "$pid" >"$pt_tmp/children" && break
		[ $# -lt 3 ] && break
		sleep 0.1
	done
	kill -s "$sig" "$pid"
	wait "$script_pid"
	got=$(cat "$pt_tmp/status" 2>/dev/null || echo none)
	tr '\r' '\n' <"$pt_tmp/tty" | sed 's/\x1b\[K//g' >"$pt_tmp/err"
}

interrupt INT create
expect_same "SIGINT: status 130" "$got" 130 err
expect_grep err "^procthread bench: interrupted in round 1/[0-9]+ of create(, case [^;]+)?; nothing written$" \
	"SIGINT: one line says what was interrupted"
if grep -q $'\r\x1b\\[Kprocthread bench: interrupted' "$pt_tmp/tty"; then
	pass
else
	fail "the progress line is not cleared before the message"
fi
expect_same "no output or temporary file is left" "$(ls -A "$d")" old.json err
expect_same "the earlier file is as it was" "$(cat "$d/old.json")" old err

interrupt TERM ipc with-children
expect_same "SIGTERM: status 143" "$got" 143 err
# The ipc suite had its second party running: a case was under way, and
# the line names it.
expect_grep err "^procthread bench: interrupted in round 1/[0-9]+ of ipc, case [^;]+ \((thread|process|none)\); nothing written$" \
	"SIGTERM: one line says what was interrupted, down to the case"
expect_same "no output or temporary file is left" "$(ls -A "$d")" old.json err
# Its children (the ipc suite's second party) are killed, not left
# running: give the kernel a moment to reap them.
expect_status 0 "the ipc suite had started a process" -- test -s "$pt_tmp/children"
sleep 0.5
left=""
while read -r child; do
	if [ -e "/proc/$child" ] &&
		! grep -q '^State:.*zombie' "/proc/$child/status" 2>/dev/null; then
		left="$left $child"
	fi
done <"$pt_tmp/children"
expect_same "no process of the run is left" "$left" "" err
finish
