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

# report_of NAME WHAT: the report of $pt_tmp/NAME.json is written and its
# charts' structure holds.
report_of() {
	expect_status 0 "report of $2" -- \
		"$PROCTHREAD" report "$pt_tmp/$1.json" -o "$pt_tmp/$1.html"
	expect_status 0 "$2: the charts' structure" -- \
		python3 "$check" structure "$pt_tmp/$1.html"
}

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
report_of ipc "many ipc cases"
expect_grep ipc.html '<title>ipc: thread versus process, in ns — latency, message size 64 B' \
	"the round trips have a chart of their own"
expect_grep ipc.html '<title>ipc: thread versus process, in ns — cpu-per-message' \
	"and the CPU time per message another"
expect_status 1 "neither is cut into parts" -- grep -q "part 1 of" "$pt_tmp/ipc.html"
expect_status 0 "the floor is drawn across the round trips only" -- \
	test "$(grep -c 'limit-atomic: ' "$pt_tmp/ipc.html")" -ge 1

# The ipc overview (issue 15): per range of sizes, one chart of the round
# trip between two CPUs with every way to wait - our ring spinning,
# adaptive and blocking, a pipe, iceoryx busy-waiting and on its wait-set -
# and, for small messages, the floor across it; the late-peer and same-CPU
# cases stay out.
python3 - "$data/results-quick.json" >"$pt_tmp/overview.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
base = d["results"][0]
recs = []
def rec(kind, transport, wait, size, median, peer=None, **extra):
    params = {"transport": transport, "wait": wait, "size": size,
              "mode": "latency", "placement": "cross-cpu"}
    params.update(extra)
    r = dict(base, suite="ipc", name="latency", kind=kind, unit="ns",
             peer=peer, params=params,
             min=0.9 * median, median=median, p90=1.1 * median,
             p99=1.2 * median, max=1.3 * median, mean=median,
             ci_low=0.98 * median, ci_high=1.02 * median)
    r.pop("raw", None)
    if peer is None:
        r.pop("peer", None)
    recs.append(r)
for size, scale in ((8, 1), (64, 1.1), (65536, 40), (1 << 20, 600)):
    for kind in ("thread", "process"):
        rec(kind, "shm", "spin", size, 300 * scale)
        rec(kind, "shm", "adaptive", size, 320 * scale)
        rec(kind, "shm", "block", size, 12000 * scale)
        rec(kind, "pipe", "block", size, 15000 * scale)
    rec("process", "iceoryx", "spin", size, 700 * scale, peer="iceoryx")
    rec("process", "iceoryx", "block", size, 9000 * scale, peer="iceoryx")
rec("process", "shm", "adaptive", 64, 999999, late_us=1000)
rec("process", "shm", "block", 64, 888888, placement="same-cpu")
rec("none", "limit-atomic", "spin", 0, 80)
d["results"] = recs
d["config"]["suites"] = ["ipc"]
json.dump(d, sys.stdout)
EOF
report_of overview "the ipc overview"
cat >"$pt_tmp/overview.py" <<'EOF'
import re, sys
page = open(sys.argv[1]).read()
figs = re.findall(r"<svg.*?</svg>", page, re.S)
over = [f for f in figs if "between two CPUs" in f]
titles = [re.search(r"<title>([^<]*)</title>", f).group(1) for f in over]
want = ["ipc: round trip between two CPUs, 8 B to 64 B, every wait beside the floor",
        "ipc: round trip between two CPUs, 64 KiB to 1 MiB, every wait"]
assert titles == want, titles
groups = ["ring, spin", "ring, adaptive", "ring, block", "pipe",
          "iceoryx, busy-wait", "iceoryx, wait-set"]
for n, f in enumerate(over):
    labels = re.findall(r'text-anchor="end">([^<]*)</text>', f)
    assert [l for l in labels if l in groups] == groups, labels
    assert ("floor, one cache line both ways: 80.0 ns" in f) == (n == 0), "floor"
    assert "1.00 ms" not in f and "889" not in f, "a late or same-CPU case"
    marks = re.findall(r"<title>[^<]*, (?:thread|process|iceoryx), [0-9.]+ [KM]?i?B: [^<]*</title>", f)
    # 2 sizes x (thread, process) x 4 of ours + 2 sizes x 2 of iceoryx
    assert len(marks) == 20, marks
print("overview ok")
EOF
expect_status 0 "one overview per size range, each with every wait and the floor" -- \
	python3 "$pt_tmp/overview.py" "$pt_tmp/overview.html"
expect_grep out "^overview ok$" "the overview checks ran"

# 1e308 in every figure of one record: refused at read, with the record.
jq '.results[0] |= (.min = 1e308 | .median = 1e308 | .p90 = 1e308 | .p99 = 1e308 | .max = 1e308 | .mean = 1e308 | .ci_low = 1e308 | .ci_high = 1e308)' \
	"$data/results-quick.json" >"$pt_tmp/big.json"
expect_status 2 "absurd figures refused" -- "$PROCTHREAD" report "$pt_tmp/big.json" -o "$pt_tmp/big.html"
expect_grep err 'big.json: results\[0\]\.min: 1e\+308 ns is absurd .* in case create create-join \(thread\)' \
	"one line naming the record, the field and the case"
expect_status 1 "and nothing drawn" -- test -e "$pt_tmp/big.html"
finish
