# repeatability.sh - scripts/repeatability.sh, the two-run check of issue
# 3: a run against itself passes; a case whose median moved 50% with a
# narrow interval fails and is named; the same move on a case whose interval
# is wide (noisy) passes as flagged; bad arguments exit 2.
. "$(dirname "$0")/../support/cli.sh"

check="$PT_SOURCE_DIR/scripts/repeatability.sh"
run="$PT_SOURCE_DIR/tests/data/results-quick.json"
sel='.suite == "create" and .name == "create-join" and .kind == "thread" and .params.impl == "raw" and .params.stack == null and .peer == null'
# moved F W: that case's median times F, its interval W times the median wide.
moved() {
	jq --argjson f "$1" --argjson w "$2" "(.results[] | select($sel)) |= (.median *= \$f | .mean = .median | .ci_low = .median * (1 - \$w / 2) | .ci_high = .median * (1 + \$w / 2))" "$run"
}

expect_status 0 "a run against itself" -- bash "$check" "$run" "$run"
expect_grep out " 0 moved more unflagged$" "nothing moved"

moved 1.5 0.02 >"$pt_tmp/moved.json"
moved 1.0 0.02 >"$pt_tmp/base.json"
expect_status 1 "one median moved by 50%, narrow interval" -- bash "$check" "$pt_tmp/base.json" "$pt_tmp/moved.json"
expect_grep out "^moved \+50\.0%, not flagged: create \| create-join \| thread \| .*impl=raw" "the case is named with its move"
expect_grep out " 1 moved more unflagged$" "and only that case"

moved 1.5 0.4 >"$pt_tmp/noisy.json"
expect_status 0 "the same move, flagged noisy" -- bash "$check" "$pt_tmp/base.json" "$pt_tmp/noisy.json"
expect_grep out " 1 moved more but flagged noisy, 0 moved more unflagged$" "counted as flagged"

expect_status 0 "a bound of 60% takes in the move" -- bash "$check" "$pt_tmp/base.json" "$pt_tmp/moved.json" 60
expect_status 2 "one file only" -- bash "$check" "$run"
expect_status 2 "a bound that is not a number" -- bash "$check" "$run" "$run" ten
expect_grep err "bound 'ten' is not a number" "says what was wrong"

finish
