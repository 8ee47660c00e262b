# try.sh - `procthread try LIB.so:SYMBOL`, one check per path a user can
# take: a task that works (the zlib example), one that crashes on a hostile
# input (the parser example) and one that crashes now and then whatever
# the input, one past its deadline, one that fails, an initializer, the
# JSON it writes, an interrupted run, and every way to get the command
# line wrong. The task libraries are examples/try/ and tests/try/.
. "$(dirname "$0")/../support/cli.sh"

ex="$PT_BINARY_DIR/examples/try"
tasks="$PT_BINARY_DIR/tests/try_tasks.so"
records="$PT_SOURCE_DIR/examples/try/records"
quick="--tasks 200 --rounds 2 --workers 2"

# args_dir NAME WORD...: a folder of --args files named 1, 2, 3... in the
# order given, each holding its word; prints the folder.
args_dir() {
	dir="$pt_tmp/$1"
	shift
	mkdir "$dir"
	n=0
	for word in "$@"; do
		n=$((n + 1))
		echo "$word" >"$dir/$n"
	done
	echo "$dir"
}

# --- a task that works: the verdict and the figures above it -------------
if [ -f "$ex/deflate_task.so" ]; then
	expect_status 0 "deflate example runs" -- \
		"$PROCTHREAD" try "$ex/deflate_task.so:deflate_task" --size 16K $quick
	for row in throughput "latency median" "latency p99" "CPU user . sys" \
		"memory per worker" "pool start-up"; do
		expect_grep out "^  $row  " "the table has a $row row"
	done
	expect_grep out "thread pool: 200 ok$" "every thread task ran ok"
	expect_grep out "process pool: 200 ok$" "every process task ran ok"
	expect_grep out "^verdict: use (threads|processes)" "a verdict"
	expect_grep out "^verdict: .*[0-9.]+x the thread pool's throughput \[[0-9.]+x … [0-9.]+x\]" \
		"the verdict gives the ratio with its interval"
	expect_grep out "^break-even: " "a break-even line"
else
	echo "note: zlib missing, deflate example not built; skipped"
fi

# --- a hostile input crashes the parser: isolation ------------------------
parse="--tasks 160 --rounds 2 --workers 2"
expect_status 0 "parser example runs" -- \
	"$PROCTHREAD" try "$ex/parse_task.so:parse_task" --args "$records" \
	$parse
# 8 files, cycled from the first in each round of 80 tasks: file 0
# (hostile.conf, first by name) every 8th, so 10 a round, 20 in all.
expect_grep out "process pool: 140 ok, 20 crashed \(SIGSEGV\)" \
	"each hostile task costs the process pool one task"
expect_grep out "thread pool: 140 ok, 20 crashed \(SIGSEGV\)" \
	"the thread pool's share, run in a sacrificial process"
expect_grep out "sacrificial process" "the sacrifice is said"
expect_grep out "^verdict: use processes\. 20 of 160 tasks \(12\.5%\) crashed with SIGSEGV" \
	"the verdict counts the crashes"
expect_grep out "would have taken your program down" \
	"and says what a thread pool would have cost"

# --- a crash no input predicts takes the thread pool's process down -----
expect_status 0 "a task that crashes now and then" -- \
	"$PROCTHREAD" try "$tasks:crash_every_20th_task" --size 16 $quick
expect_grep out "a task ended the thread pool's whole process: SIGSEGV" \
	"try lives to tell"
expect_grep out "process pool: [0-9,]+ ok, [0-9]+ crashed \(SIGSEGV\)" \
	"the process pool lost only the crashing tasks"
expect_grep out "^verdict: use processes" "processes, then"

# --- a task that calls exit(): a crash too, as far as a pool goes -------
quits=$(args_dir quits exit fine)
expect_status 0 "a task that calls exit()" -- \
	"$PROCTHREAD" try "$tasks:exit_task" --args "$quits" $quick
# (Under ASan its leak check at exit() turns the code 3 into 1.)
expect_grep out "process pool: 100 ok, 100 crashed \(exit\([0-9]+\)\)" \
	"each exit costs the process pool one task"
expect_grep out "^verdict: use processes\. 100 of 200 tasks \(50\.0%\) crashed with exit\([0-9]+\)" \
	"the verdict names the exit"

# --- a task past its deadline --------------------------------------------
hang=$(args_dir hang fine fine hang)
expect_status 0 "a task that never returns" -- \
	"$PROCTHREAD" try "$tasks:hang_task" --args "$hang" --tasks 30 \
	--rounds 1 --workers 2 --timeout 200ms
expect_grep out "process pool: 20 ok, 10 timed out" \
	"the process pool kills and replaces each"
expect_grep out "every thread worker was stuck" \
	"the thread pool's stuck workers are said"
expect_grep out "^verdict: use processes\. Tasks ran past their deadline" \
	"the verdict is about the deadline"

# --- a task that fails, and an initializer --------------------------------
mixed=$(args_dir mixed fail fine)
expect_status 0 "a task that fails" -- \
	"$PROCTHREAD" try "$tasks:fail_task" --args "$mixed" $quick
expect_grep out "process pool: 100 ok, 100 failed \(first code 7\)" \
	"failures are counted with their code"
expect_status 0 "an initializer runs in every worker" -- \
	"$PROCTHREAD" try "$tasks:needs_init_task" --init init_opens $quick
expect_grep out "thread pool: 200 ok$" "thread workers ran it"
expect_grep out "process pool: 200 ok$" "process workers ran it"
expect_status 1 "an initializer that fails: no round runs" -- \
	"$PROCTHREAD" try "$tasks:echo_task" --init init_fails $quick
expect_grep out "^verdict: no verdict: .*the initializer \(--init\) failed" \
	"the verdict says why"

# --- JSON: the results schema, suite try, read back by report -------------
expect_status 0 "--json writes results" -- \
	"$PROCTHREAD" try "$ex/parse_task.so:parse_task" --args "$records" \
	$parse --json "$pt_tmp/try.json" --html "$pt_tmp/try.html"
if command -v python3 >/dev/null; then
	cat >"$pt_tmp/check.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "procthread-results/2"
assert d["config"]["profile"] == "try" and d["config"]["suites"] == ["try"]
names = {(r["name"], r["kind"]) for r in d["results"]}
for kind in ("thread", "process"):
    for name in ("throughput", "latency", "memory-per-worker", "pool-start",
                 "tasks"):
        assert (name, kind) in names, (name, kind)
for r in d["results"]:
    assert r["suite"] == "try"
    assert r["params"]["symbol"] == "parse_task"
    if r["name"] == "tasks" and r["params"]["outcome"] == "crashed":
        assert r["median"] == 20, r
    if r["name"] == "throughput":
        assert r["cpu"]["user_ns"] > 0 and len(r["raw"]) == 2
assert any(n.startswith("verdict: use processes") for n in d["notes"])
EOF
	expect_status 0 "the JSON holds suite try's records" -- python3 \
		"$pt_tmp/check.py" "$pt_tmp/try.json"
fi
expect_status 0 "report reads it back" -- \
	"$PROCTHREAD" report "$pt_tmp/try.json" -o "$pt_tmp/report.html"
expect_status 0 "the page has the verdict" -- \
	grep -q "<h2>Verdict</h2>" "$pt_tmp/try.html"
expect_status 0 "--json - prints only JSON" -- \
	"$PROCTHREAD" try "$tasks:echo_task" --tasks 20 --rounds 1 --json -
cp "$pt_tmp/out" "$pt_tmp/stdout.json"
expect_status 0 "it parses" -- python3 -c \
	"import json,sys; json.load(open('$pt_tmp/stdout.json'))"

# --- interrupted: 130, nothing written, nothing left running --------------
if command -v pgrep >/dev/null; then
	"$PROCTHREAD" try "$tasks:echo_task" --time 60s \
		--json "$pt_tmp/never.json" >/dev/null 2>"$pt_tmp/int.err" &
	pid=$!
	kids=""
	for i in $(seq 1 100); do
		kids=$(pgrep -P "$pid") && break
		sleep 0.1
	done
	# The host's own workers too: they are what must not outlive us.
	for i in $(seq 1 50); do
		grand=$(for k in $kids; do pgrep -P "$k"; done)
		[ -n "$grand" ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid"
	got=$?
	expect_same "interrupted try's exit status" "$got" 130
	cp "$pt_tmp/int.err" "$pt_tmp/err"
	expect_grep err "^procthread try: interrupted in round 1/5 of the (thread|process) pool; nothing written$" \
		"one line says where it stopped"
	expect_status 1 "no results file is written" -- \
		test -e "$pt_tmp/never.json"
	# Killed is enough: a zombie waits for whoever reaps orphans here.
	sleep 0.5
	for k in $kids $grand; do
		if [ -e "/proc/$k" ] &&
			! grep -q '^State:.*zombie' "/proc/$k/status" 2>/dev/null; then
			fail "process $k outlived the interrupted run"
		else
			pass
		fi
	done
fi

# --- the README shows both examples' real output ---------------------------
for block in try-deflate try-parse; do
	sed -n "/<!-- $block:begin -->/,/<!-- $block:end -->/p" \
		"$PT_SOURCE_DIR/README.md" >"$pt_tmp/$block"
	expect_grep "$block" "^\\$ .*procthread try .*/examples/try/" \
		"README: $block shows the command"
	expect_grep "$block" "^verdict: use (threads|processes)" \
		"README: $block shows the verdict"
done
expect_grep try-parse "process pool: [0-9,]+ ok, [0-9,]+ crashed \(SIGSEGV\)" \
	"README: the parser's crashes, isolated"

# --- the command line ------------------------------------------------------
usage() {
	expect_status 2 "$1" -- "$PROCTHREAD" try "${@:3}"
	expect_grep err "$2" "$1: says why"
	expect_same "$1: lines on stderr" "$(wc -l <"$pt_tmp/err")" 1
}
usage "no target" "expected LIB.so:SYMBOL"
usage "no colon" "is not LIB.so:SYMBOL" "$tasks"
usage "missing library" "cannot open library '.*nowhere.so': No such file" \
	"$pt_tmp/nowhere.so:echo_task"
echo "not an ELF file" >"$pt_tmp/bogus.so"
usage "a library that does not load" "cannot load library: .*bogus.so" \
	"$pt_tmp/bogus.so:echo_task"
usage "a library whose constructor crashes" \
	"library '.*crash_on_load.so' ended the process that loaded it \(signal 11, SEGV\)" \
	"$PT_BINARY_DIR/tests/crash_on_load.so:never_task"
usage "a symbol not found" "symbol 'no_such_task' not found in" \
	"$tasks:no_such_task"
usage "an --init symbol not found" "--init: symbol 'nope' not found" \
	"$tasks:echo_task" --init nope
usage "--arg missing" "--arg: cannot open '.*absent'" \
	"$tasks:echo_task" --arg "$pt_tmp/absent"
mkdir "$pt_tmp/empty"
usage "--args empty" "--args: '.*empty' holds no regular file" \
	"$tasks:echo_task" --args "$pt_tmp/empty"
usage "two inputs" "--arg, --args and --size exclude each other" \
	"$tasks:echo_task" --size 1K --args "$records"
usage "--tasks and --time" "--tasks and --time exclude each other" \
	"$tasks:echo_task" --tasks 5 --time 1s
usage "--tasks 0" "--tasks: '0' is not a whole number from 1" \
	"$tasks:echo_task" --tasks 0
usage "--size too big" "--size: '17M' is not a byte count" \
	"$tasks:echo_task" --size 17M
usage "--time bad" "--time: 'soon' is not a time" \
	"$tasks:echo_task" --time soon
usage "--workers 0" "--workers: '0' is not a whole number" \
	"$tasks:echo_task" --workers 0
usage "unknown option" "unknown option '--tasx'" "$tasks:echo_task" --tasx 5
usage "two targets" "unexpected argument" "$tasks:echo_task" "$tasks:fail_task"
usage "--html -" "--html needs a file name" "$tasks:echo_task" --html -
expect_status 0 "help" -- "$PROCTHREAD" help try
expect_grep out "^usage: procthread try LIB.so:SYMBOL" "help shows the usage"

finish
