# demo.sh - every demo's measured facts, read back through --json and
# checked for sense (what each kind must show, never a figure); the text
# has each demo's conclusion and colour only on a terminal without
# NO_COLOR; bad arguments exit 2.
. "$(dirname "$0")/../support/cli.sh"

if ! command -v jq >/dev/null 2>&1; then
	echo "FAIL: jq is required (scripts/bootstrap.sh installs it)"
	exit 1
fi
# The failure demo crashes units on purpose: sanitizers must let the real
# SIGSEGV through (the ASAN_OPTIONS of tests/CMakeLists.txt already do).
export TSAN_OPTIONS="${TSAN_OPTIONS:-}${TSAN_OPTIONS:+:}handle_segv=0"

# check DESCRIPTION JQ-EXPRESSION: the expression is true of $facts.
check() {
	if [ "$(jq -r "$2" <<<"$facts" 2>&1)" = true ]; then
		pass
	else
		fail "$1: $2"
	fi
}

# A sanitized build forks slowly (its shadow memory goes with every
# process): the overhead demo's 2,000 forks take minutes there, so it is
# checked in the plain build only.
demos="isolation overhead communication scheduling control failure"
sanitized=$("$PROCTHREAD" --version | grep -o 'sanitize=[a-z]*' || true)
if [ -n "$sanitized" ]; then
	echo "note: overhead not run: a $sanitized build forks too slowly"
	demos=${demos/overhead /}
fi
facts='{}'
for d in $demos; do
	expect_status 0 "demo $d --json" -- "$PROCTHREAD" demo "$d" --json
	expect_empty err "demo $d --json writes no errors"
	facts=$(jq -s '.[0] * .[1]' <(echo "$facts") "$pt_tmp/out")
done

# isolation: the thread's writes are the parent's, the process's are not.
check "isolation: the process's copy is unchanged in the parent" \
	'.isolation.process | .global_seen_by_unit == 2 and .global_seen_by_parent == 1'
check "isolation: the thread's write is the parent's" \
	'.isolation.thread.global_seen_by_parent == 2'

# overhead: 1,000 of each, and a process costs more than a thread.
if [ -z "$sanitized" ]; then
	check "overhead: 1,000 units of each kind, both timed" \
		'.overhead | .units == 1000 and .thread.create_join_total_ns > 0 and .process.create_join_total_ns > 0'
	check "overhead: a process takes longer to create than a thread" \
		'.overhead.time_ratio > 1'
	check "overhead: a process holds more private memory than a thread adds" \
		'.overhead | .process.memory_per_unit_bytes > .thread.memory_per_unit_bytes'
	check "overhead: a thread reserves a stack" \
		'.overhead.thread.virtual_per_unit_bytes >= 65536'
fi

# communication: every message arrives, in order, both ways.
check "communication: the ring between threads delivers all, in order" \
	'.communication.thread_ring | .received == 100000 and .in_order == 100000 and .total_ns > 0'
check "communication: the ring between processes delivers all, in order" \
	'.communication.process_ring | .received == 100000 and .in_order == 100000 and .total_ns > 0'
check "communication: 1 MiB by pointer and by copy, all intact" \
	'[.communication | (.thread_pointer_1mib, .process_copy_1mib) | .received == 200 and .in_order == 200 and .total_ns > 0] | all'
check "communication: the set-up of each kind measured" \
	'.communication.setup | .bytes == 65536 and .thread_ns > 0 and .process_ns > 0'
check "communication: the pipe delivers all, in order" \
	'.communication.process_pipe | .received == 100000 and .in_order == 100000 and .total_ns > 0'

# scheduling: four tids under one pid, each with its own CPU time.
check "scheduling: 4 distinct tids, none of them the pid" \
	'.scheduling as $s | [$s.threads[].tid] | (unique | length == 4) and (index($s.pid) == null)'
check "scheduling: every thread is in the one process" \
	'.scheduling as $s | all($s.threads[]; .pid == $s.pid) and $s.main.tid == $s.pid'
check "scheduling: /proc's CPU time within two ticks of the thread's own" \
	'all(.scheduling.threads[]; (.cpu_proc_ms - .cpu_rusage_ms) | fabs <= 20)'
check "scheduling: each thread used what it was asked" \
	'all(.scheduling.threads[]; .cpu_rusage_ms >= .cpu_asked_ms - 1)'
# Each figure is rounded down to a tick: the process's by at most one.
check "scheduling: the process's CPU time covers its threads'" \
	'.scheduling.process_cpu_ms + 10 >= .scheduling.threads_cpu_ms'

# control: SIGSTOP, nice and a limit on one process versus one thread.
check "control: the stopped process did nothing, its siblings worked" \
	'.control.sigstop.process | .work_while_stopped[0] == 0 and .states[0] == "T" and all(.work_while_stopped[1:][]; . > 0) and .units_stopped == 1'
check "control: the stopped process resumed after SIGCONT" \
	'.control.sigstop.process.work_after_cont > 0'
check "control: SIGSTOP to one thread stopped all of them" \
	'.control.sigstop.thread | .units_stopped == .units and all(.states[]; . == "T")'
check "control: pt_unit_kill() on a thread is -ENOTSUP" \
	'.control.sigstop.thread.kill_rc == -95'
check "control: nice 10 reached one process and one thread only" \
	'.control.nice | .process.nice == [0, 10] and .thread.nice == [0, 10] and .thread.main_nice == 0'
check "control: the niced unit got the smaller share of their CPU" \
	'.control.nice | .process.share_niced < 0.35 and .thread.share_niced < 0.35'
check "control: a process's limit binds it alone" \
	'.control.rlimit_nofile as $r | $r.process | .soft_limit[0] == $r.limit and .opened[0] < $r.limit and .opened[1] > $r.limit and .process_soft_limit != $r.limit'
check "control: a limit set on one tid binds every thread" \
	'.control.rlimit_nofile as $r | $r.thread | .soft_limit == [$r.limit, $r.limit] and all(.opened[]; . < $r.limit) and .process_soft_limit == $r.limit'

# failure: one process dies alone; a crashing thread takes all siblings.
check "failure: processes: the crasher crashed with SIGSEGV" \
	'.failure.process | .how == "crashed" and .signal == 11'
check "failure: processes: 1 died, its siblings finished and delivered" \
	'.failure as $f | $f.process | .units_died == 1 and .siblings_died == 0 and .siblings_finished == $f.units - 1 and .results_delivered == $f.units - 1 and all(.sibling_jobs_done[]; . == $f.jobs_per_unit)'
check "failure: threads: every unit died with their process" \
	'.failure as $f | $f.thread | .how == "crashed" and .signal == 11 and .units_died == $f.units and .siblings_died == $f.units - 1 and .siblings_finished == 0 and .results_delivered == 0'
check "failure: threads: the siblings were cut short" \
	'.failure as $f | all($f.thread.sibling_jobs_done[]; . < $f.jobs_per_unit)'

# communication concludes from what it measured: the rows' figures are the
# conclusion's.
"$PROCTHREAD" demo communication >"$pt_tmp/comm" 2>&1
per_message() { awk -v row="$1" 'index($0, row) { print $(NF-4), $(NF-3) }' "$pt_tmp/comm"; }
conclusion=$(sed -n '/^conclusion: /,$p' "$pt_tmp/comm" | sed 's/\xc2\xa0/ /g' | tr '\n' ' ' | tr -s ' ')
want="($(per_message "two processes, the same ring") against $(per_message "two threads, the ring");"
if [[ "$conclusion" == *"$want"* ]]; then
	pass
else
	fail "communication's conclusion does not quote its rows ($want): $conclusion"
fi

# The text: each demo's conclusion, no colour off a terminal.
for d in communication scheduling control failure; do
	expect_status 0 "demo $d" -- "$PROCTHREAD" demo "$d"
	expect_grep out "^conclusion: " "demo $d ends with a conclusion"
	if grep -q $'\033' "$pt_tmp/out"; then
		fail "demo $d wrote colour to a pipe"
	fi
done
if command -v script >/dev/null 2>&1; then
	script -qec "$PROCTHREAD demo scheduling" /dev/null >"$pt_tmp/out"
	expect_grep out $'\033\\[1mconclusion' "bold on a terminal"
	NO_COLOR=1 script -qec "$PROCTHREAD demo scheduling" /dev/null \
		>"$pt_tmp/out"
	if grep -q $'\033' "$pt_tmp/out"; then
		fail "colour on a terminal with NO_COLOR set"
	fi
else
	echo "note: colour on a terminal not checked: script(1) is missing"
fi

expect_status 2 "an unknown demo" -- "$PROCTHREAD" demo nosuch
expect_grep err "accepted: isolation\|overhead\|communication\|scheduling\|control\|failure\|all" \
	"the unknown demo's error lists every demo"
expect_status 2 "two demo names" -- "$PROCTHREAD" demo control failure
expect_status 2 "a value for --json" -- "$PROCTHREAD" demo --json=yes
expect_status 2 "an unknown option" -- "$PROCTHREAD" demo failure --bogus

finish
