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

# 1e308 in every figure of one record: refused at read, with the record.
jq '.results[0] |= (.min = 1e308 | .median = 1e308 | .p90 = 1e308 | .p99 = 1e308 | .max = 1e308 | .mean = 1e308 | .ci_low = 1e308 | .ci_high = 1e308)' \
	"$data/results-quick.json" >"$pt_tmp/big.json"
expect_status 2 "absurd figures refused" -- "$PROCTHREAD" report "$pt_tmp/big.json" -o "$pt_tmp/big.html"
expect_grep err 'big.json: results\[0\]\.min: 1e\+308 ns is absurd .* in case create create-join \(thread\)' \
	"one line naming the record, the field and the case"
expect_status 1 "and nothing drawn" -- test -e "$pt_tmp/big.html"
finish
