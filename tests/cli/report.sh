# report.sh - `procthread report`: the page of a recorded run and of a
# hand-made file holding the other suites' shapes; its structure (a section
# and charts for each suite in the file, none for the others, every record
# in a table, valid SVG, nothing fetched from outside); a headless
# screenshot that is not blank where chromium is installed; bad input.
. "$(dirname "$0")/../support/cli.sh"

data="$PT_SOURCE_DIR/tests/data"
check="$PT_SOURCE_DIR/tests/support/report_check.py"
have_python=0
command -v python3 >/dev/null && have_python=1
[ "$have_python" = 1 ] || echo "note: python3 not installed; SVG not parsed, no screenshot check"

# check_page HTML JSON: the structure every report must have.
# HTML is a file under $pt_tmp, named as expect_grep wants it.
check_page() {
	page=$1
	html="$pt_tmp/$page"
	json=$2
	expect_grep "$page" '^<!DOCTYPE html>' "a complete HTML page"
	expect_grep "$page" '<section id="summary">' "a summary at the top"
	expect_grep "$page" '<section id="machine">' "a machine and configuration section"
	# Every suite of the file has its section with a chart; the
	# summary's claims of other suites say they are not in the file.
	for suite in $(jq -r '.results[].suite' "$json" | sort -u); do
		# A chart, or a table of facts where every sample was
		# the same (survivors, work lost).
		n=$(sed -n "/<section id=\"suite-$suite\">/,/<\/section>/p" "$html" |
			grep -cE '<svg class="chart"|<h3 class="facts"')
		expect_status 0 "suite $suite has charts ($n)" -- test "$n" -ge 1
	done
	for suite in create memory switch ipc pool scale failure; do
		if ! jq -e --arg s "$suite" 'any(.results[]; .suite == $s)' "$json" >/dev/null; then
			expect_status 1 "no section for suite $suite, not in the file" -- \
				grep -q "id=\"suite-$suite\"" "$html"
		fi
	done
	# Every record is drawn, and its numbers are in a table: at least
	# one table row per record (a limit may sit in several plots).
	rows=$(grep -cE '^<tr( class="noisy")?><td><span class="key"' "$html")
	records=$(jq '.results | length' "$json")
	expect_status 0 "a table row for each of $records records ($rows rows)" -- \
		test "$rows" -ge "$records"
	# Nothing from outside: no URL, no source, no link but to the page.
	expect_status 1 "no URL, script, stylesheet or image source" -- \
		grep -Eiq 'https?:|ftp:|src=|url\(|@import|<link|<script|<img' "$html"
	expect_status 1 "links only within the page" -- \
		grep -Eq 'href="[^#]' "$html"
	# Axis titles name the quantity in the unit of the ticks: times,
	# sizes and rates carry their unit in each tick ("10 us"), counts
	# in the title.
	expect_grep "$page" '>median (time|size|[a-z]+ per second|\((units|%|x)\))<' \
		"axis titles in the ticks' unit"
	if [ "$have_python" = 1 ]; then
		expect_status 0 "every SVG parses as XML" -- python3 "$check" svg "$html"
	fi
}

# A run recorded with `procthread bench --quick --json` (create, memory,
# switch, with peers).
expect_status 0 "report of a recorded run" -- \
	"$PROCTHREAD" report "$data/results-quick.json" -o "$pt_tmp/quick.html"
expect_grep out "wrote $pt_tmp/quick.html" "says where it wrote"
check_page quick.html "$data/results-quick.json"
expect_grep quick.html '<td>creation</td><td>Creating and joining a process .* takes [0-9.]+× as long as a thread' \
	"the creation claim, in one sentence"
expect_grep quick.html '<td class="number">[0-9.]+×<br><small>\[[0-9.]+× … [0-9.]+×\]</small></td>' \
	"each claim has its number and the number's 95% interval"
expect_grep quick.html "create: create-join-touched in ns against parent&#39;s touched memory" \
	"fork latency against the parent's memory"
expect_grep quick.html 'both axes logarithmic' "a logarithmic plot"
expect_grep quick.html 'pool: task-throughput in tasks/s against task length' \
	"pool throughput against task length"
expect_grep quick.html '>break-even: [0-9.]+ [num]?s<|No break-even in the measured range' \
	"the break-even task length marked, or its absence said"
expect_grep quick.html '>limit-(atomic|futex): [0-9.]+ [num]?s<|>limit-memcpy<' \
	"the ipc limits drawn"
expect_grep quick.html 'hollow|stroke-width="2"><title>[^<]*\((stress-ng|perf bench|hackbench)\)' \
	"peers drawn in the same charts"
expect_grep quick.html 'Intel|AMD|CPU' "the machine section names the CPU"

# Hand-made records in the shapes of the ipc, pool, scale and failure
# suites: limits as lines, a break-even mark, scaling against workers.
expect_status 0 "report of the other suites' shapes" -- \
	"$PROCTHREAD" report "$data/results-synthetic.json" -o "$pt_tmp/syn.html"
check_page syn.html "$data/results-synthetic.json"
expect_grep syn.html 'ipc: latency in ns against message size' "channel latency against size"
expect_grep syn.html 'ipc: throughput in B/s against message size' "channel throughput against size"
expect_grep syn.html '>limit-atomic: [0-9.]+ ns<' "the latency floor as a level line"
expect_grep syn.html '>limit-memcpy<' "the memcpy ceiling as a curve"
expect_grep syn.html '>break-even: [0-9.]+ [num]?s<' "the pool's break-even task length marked"
expect_grep syn.html 'scale: throughput in ops/s against workers' "scaling against workers"
expect_grep syn.html '<td>communication</td><td>A 64 B round trip over shm' "the communication claim"
expect_grep syn.html '<td>failure</td><td>When one of 8 units crashes \(segv\), 7 of the other 7 finish' \
	"the failure claim"
expect_grep syn.html 'Not in this results file: run <code>procthread bench create</code>' \
	"a claim whose suite is missing says so"

# `bench --html` writes the same page at the end of a run.
expect_status 0 "bench --html" -- "$PROCTHREAD" bench switch --runs 3 \
	--no-peers --quiet --json "$pt_tmp/sw.json" --html "$pt_tmp/sw.html"
check_page sw.html "$pt_tmp/sw.json"
expect_grep sw.html "<th>results file</th><td>$pt_tmp/sw.json</td>" \
	"the page names the JSON written beside it"
expect_status 2 "bench --html needs a file" -- "$PROCTHREAD" bench --html -
expect_grep err "--html needs a file name" "says so"

# A headless screenshot: the page renders, charts and all.
if command -v chromium >/dev/null && [ "$have_python" = 1 ]; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --window-size=800,1800 \
		--screenshot="$pt_tmp/shot.png" "file://$pt_tmp/quick.html" \
		>/dev/null 2>&1
	expect_status 0 "the screenshot is not blank" -- \
		python3 "$check" png "$pt_tmp/shot.png"
else
	echo "note: chromium not installed; no screenshot taken ('scripts/bootstrap.sh --optional' adds it)"
fi

# Standard output, and bad input.
expect_status 0 "-o - writes to standard output" -- \
	"$PROCTHREAD" report "$data/results-quick.json" -o -
expect_grep out '^</html>$' "the whole page on standard output"
expect_status 2 "no file" -- "$PROCTHREAD" report
expect_grep err "expected one results file" "says what is expected"
expect_status 2 "two files" -- "$PROCTHREAD" report a.json b.json
expect_status 2 "unknown option" -- "$PROCTHREAD" report --frob x.json
expect_grep err "unknown option '--frob'" "names the option"
expect_status 2 "missing file" -- "$PROCTHREAD" report "$pt_tmp/none.json"
expect_grep err "none.json: cannot read" "names the file and the problem"
printf '{"schema": "procthread-results/1", "tool":' >"$pt_tmp/cut.json"
expect_status 2 "truncated file" -- "$PROCTHREAD" report "$pt_tmp/cut.json"
expect_grep err "cut.json: not valid JSON" "a truncated file is named"
expect_status 2 "unwritable output, found before reading" -- \
	"$PROCTHREAD" report "$data/results-quick.json" -o "$pt_tmp/no/such/dir.html"
expect_grep err "cannot write .*dir.html: directory .* does not exist" "names the output"
expect_status 1 "no half page left behind" -- test -e "$pt_tmp/no/such/dir.html"
finish
