# report_charts.sh - the charts of recorded results do not mislead (issue
# 14): colour is the kind in every chart (thread blue, process orange,
# limits grey), no bar on a logarithmic axis, no line through fewer than 3
# points, no "nan"; and a file with absurd figures is refused, not drawn.
# The SVG is parsed by tests/support/report_check.py: without python3 the
# test is skipped (exit 77, SKIP_RETURN_CODE in tests/CMakeLists.txt).
. "$(dirname "$0")/../support/cli.sh"

command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
data="$PT_SOURCE_DIR/tests/data"
check="$PT_SOURCE_DIR/tests/support/report_check.py"

for f in results-quick results-synthetic quick-v1; do
	expect_status 0 "report of $f.json" -- \
		"$PROCTHREAD" report "$data/$f.json" -o "$pt_tmp/$f.html"
	expect_status 0 "$f: the charts' structure" -- python3 "$check" structure "$pt_tmp/$f.html"
	expect_grep out "charts, [0-9]+ series: colour per kind" "$f: it checked series"
done
# A logarithmic bar chart is drawn as dots, and a limit as a grey dashed
# line across the groups, not a bar.
expect_grep results-quick.html 'data-shape="dots" data-x-scale="log"' "dots on a logarithmic axis"
expect_grep results-synthetic.html '<g class="rule" data-kind="limit">' "limits as lines"
expect_status 1 "no limit drawn as a bar named 'value'" -- \
	grep -q '>value<' "$pt_tmp/results-synthetic.html"
# Survivors and work lost are the same in every sample: a table.
expect_grep results-synthetic.html '<h3 class="facts"' "deterministic facts as a table"

# A suite and unit with more cases than one chart holds is cut by case
# name before it is cut into parts: the ipc round trips (latency) in one
# chart with the floor across it, the CPU time per message in another.
python3 - "$data/results-quick.json" >"$pt_tmp/ipc.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
base = d["results"][0]
recs = []
def rec(name, kind, transport, wait, median):
    r = dict(base, suite="ipc", name=name, kind=kind,
             params={"transport": transport, "wait": wait, "size": 64,
                     "mode": "latency"},
             min=0.9 * median, median=median, p90=1.1 * median,
             p99=1.2 * median, max=1.3 * median, mean=median,
             ci_low=0.98 * median, ci_high=1.02 * median)
    r.pop("raw", None)
    recs.append(r)
pairs = [("shm", "spin"), ("shm-zerocopy", "spin"), ("shm", "adaptive"),
         ("shm-zerocopy", "adaptive"), ("shm", "block"),
         ("shm-zerocopy", "block"), ("pipe", "block"), ("unix", "block"),
         ("seqpacket", "block"), ("tcp", "block")]
for name in ("latency", "cpu-per-message"):
    for i, (t, w) in enumerate(pairs):
        for kind in ("thread", "process"):
            rec(name, kind, t, w, 300.0 * (i + 1) * (1.2 if kind == "process" else 1))
floor = dict(recs[0], kind="none", params={"transport": "limit-atomic",
             "wait": "spin", "size": 0, "mode": "latency"})
d["results"] = recs + [floor]
d["config"]["suites"] = ["ipc"]
json.dump(d, sys.stdout)
EOF
expect_status 0 "report of many ipc cases" -- \
	"$PROCTHREAD" report "$pt_tmp/ipc.json" -o "$pt_tmp/ipc.html"
expect_status 0 "ipc: the charts' structure" -- python3 "$check" structure "$pt_tmp/ipc.html"
expect_grep ipc.html '<title>ipc: thread versus process, in ns — latency, message size 64 B' \
	"the round trips have a chart of their own"
expect_grep ipc.html '<title>ipc: thread versus process, in ns — cpu-per-message' \
	"and the CPU time per message another"
expect_status 1 "neither is cut into parts" -- grep -q "part 1 of" "$pt_tmp/ipc.html"
expect_status 0 "the floor is drawn across the round trips only" -- \
	test "$(grep -c 'limit-atomic: ' "$pt_tmp/ipc.html")" -ge 1

# 1e308 in every figure of one record: refused at read, with the record.
jq '.results[0] |= (.min = 1e308 | .median = 1e308 | .p90 = 1e308 | .p99 = 1e308 | .max = 1e308 | .mean = 1e308 | .ci_low = 1e308 | .ci_high = 1e308)' \
	"$data/results-quick.json" >"$pt_tmp/big.json"
expect_status 2 "absurd figures refused" -- "$PROCTHREAD" report "$pt_tmp/big.json" -o "$pt_tmp/big.html"
expect_grep err 'big.json: results\[0\]\.min: 1e\+308 ns is absurd .* in case create create-join \(thread\)' \
	"one line naming the record, the field and the case"
expect_status 1 "and nothing drawn" -- test -e "$pt_tmp/big.html"
finish
