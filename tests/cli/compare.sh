# compare.sh - `procthread compare`: quiet on a run against itself, loud
# on a case measured 50% slower, right about which way rates go, honest
# about cases found on one side only; exit 1 only for a regression, 2 for
# a bad command line, 3 with the file named for anything that is not a
# procthread results file of this version, and 3 when the output cannot
# be written.
. "$(dirname "$0")/../support/cli.sh"

run="$PT_SOURCE_DIR/tests/data/results-quick.json"
# The case that is slowed: pthread_create + join, raw, default stack.
sel='.suite == "create" and .name == "create-join" and .kind == "thread" and .params.impl == "raw" and .params.stack == null and .peer == null'
# scale F: that case measured F times its figures (every statistic).
scale() {
	jq --argjson f "$1" "(.results[] | select($sel)) |= (.min *= \$f | .median *= \$f | .p90 *= \$f | .p99 *= \$f | .max *= \$f | .mean *= \$f | .stddev *= \$f | .ci_low *= \$f | .ci_high *= \$f)" "$run"
}
rate_sel='.suite == "create" and .name == "create-throughput" and .kind == "thread" and .peer == null'
scale_rate() {
	jq --argjson f "$1" "(.results[] | select($rate_sel)) |= (.min *= \$f | .median *= \$f | .p90 *= \$f | .p99 *= \$f | .max *= \$f | .mean *= \$f | .stddev *= \$f | .ci_low *= \$f | .ci_high *= \$f)" "$run"
}

expect_status 0 "a run against itself" -- "$PROCTHREAD" compare "$run" "$run"
expect_grep out "^base .*results-quick.json: procthread [0-9.]+, started " "the header names both runs"
expect_grep out " 0 worse, 0 better" "nothing changed"

scale 1.5 >"$pt_tmp/slow.json"
expect_status 1 "one median raised by 50%" -- "$PROCTHREAD" compare "$run" "$pt_tmp/slow.json"
expect_grep out "^create +create-join +impl=raw same-cpu +thread +[0-9.]+ us +[0-9.]+ us +1\.500 +WORSE( \(noisy\))?$" \
	"the slowed case is flagged, with its ratio"
expect_grep out " 1 worse, 0 better" "and only that case"
if grep -q $'\033' "$pt_tmp/out"; then
	fail "colour on a pipe"
fi
expect_status 1 "--color=always" -- env NO_COLOR=1 "$PROCTHREAD" compare \
	--color=always "$run" "$pt_tmp/slow.json"
expect_grep out $'^\033\\[31mcreate +create-join +impl=raw same-cpu +thread .*WORSE' \
	"a worse case in red"
expect_status 2 "--color=sometimes" -- "$PROCTHREAD" compare --color=sometimes "$run" "$run"
expect_grep err "--color: 'sometimes' is not auto, always or never" "the bad colour named"
expect_status 1 "--json too" -- "$PROCTHREAD" compare --json "$run" "$pt_tmp/slow.json"
expect_status 0 "--json: one regression, the slowed case" -- jq -e \
	'.schema == "procthread-compare/1" and .regressions == 1 and ([.cases[] | select(.verdict == "worse")] | length == 1 and .[0].name == "create-join" and .[0].kind == "thread" and .[0].ratio == 1.5 and .[0].beyond_noise and .[0].beyond_threshold)' \
	"$pt_tmp/out"

scale 0.5 >"$pt_tmp/fast.json"
expect_status 0 "a case twice as fast is no regression" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/fast.json"
expect_grep out " 0 worse, 1 better" "it is counted as better"

# Within the threshold: beyond the noise (this case's interval is about
# 1% wide) but under 5%; with --threshold 2 it counts.
scale 1.03 >"$pt_tmp/bit.json"
expect_status 0 "3% slower is within the default threshold" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/bit.json"
expect_grep out "within-threshold" "shown as within the threshold"
expect_status 1 "3% slower with --threshold 2" -- \
	"$PROCTHREAD" compare --threshold 2 "$run" "$pt_tmp/bit.json"
expect_status 1 "--threshold 2% is accepted too" -- \
	"$PROCTHREAD" compare --threshold 2% "$run" "$pt_tmp/bit.json"

# Rates go the other way: fewer operations per second is worse.
scale_rate 0.5 >"$pt_tmp/rate.json"
expect_status 1 "half the creations per second is worse" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/rate.json"
expect_grep out "create-throughput .* WORSE" "the rate case is flagged"
scale_rate 2 >"$pt_tmp/rate2.json"
expect_status 0 "twice the creations per second is better" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/rate2.json"

# A peer tool's figure never counts against us.
jq '(.results[] | select(.peer == "stress-ng")) |= (.min *= 3 | .median *= 3 | .p90 *= 3 | .p99 *= 3 | .max *= 3 | .mean *= 3 | .ci_low *= 3 | .ci_high *= 3)' \
	"$run" >"$pt_tmp/peer.json"
expect_status 0 "a slower peer is not our regression" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/peer.json"
expect_grep out "peer figures worse \(not counted\)" "but it is shown"

# Cases on one side only, and another machine.
jq "del(.results[] | select($sel)) | .machine.cpu_model = \"Another CPU\"" \
	"$run" >"$pt_tmp/less.json"
expect_status 0 "a case missing from the new run" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/less.json"
expect_grep out "^only in .*results-quick.json \(1\):" "listed as only in the base"
expect_grep out "^  create +create-join +impl=raw same-cpu +thread$" "naming the case"
expect_grep out "different machines" "the header says the machines differ"
expect_status 0 "the other way round" -- \
	"$PROCTHREAD" compare "$pt_tmp/less.json" "$run"
expect_grep out "^only in .*results-quick.json \(1\):" "listed as only in the new run"

# Two normal runs, recorded back to back on one quiet machine: their cases
# move by several percent (and a few by tens of percent) between runs,
# which is drift, not a regression; one case of the second run made three
# times slower stands out of that drift.
second="$PT_SOURCE_DIR/tests/data/results-quick-2.json"
expect_status 0 "two normal runs: no regression" -- \
	"$PROCTHREAD" compare "$run" "$second"
expect_grep out " 0 worse, 0 better, [0-9]+ within the drift" "quiet, with the drift named"
expect_grep out "run-to-run drift allows \(5 times the typical shift of all cases, [0-9.]+%: [0-9.]+%\)" \
	"the header gives the drift"
expect_status 0 "the other way round too" -- \
	"$PROCTHREAD" compare "$second" "$run"
jq --argjson f 3 "(.results[] | select($sel)) |= (.min *= \$f | .median *= \$f | .p90 *= \$f | .p99 *= \$f | .max *= \$f | .mean *= \$f | .stddev *= \$f | .ci_low *= \$f | .ci_high *= \$f)" \
	"$second" >"$pt_tmp/second-slow.json"
expect_status 1 "one case 3x slower stands out of the drift" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/second-slow.json"
expect_grep out "^create +create-join +impl=raw same-cpu +thread +[0-9.]+ us +[0-9.]+ us +[0-9.]+ +WORSE$" \
	"and it is that case"
expect_grep out " 1 worse, " "only that case"
expect_status 0 "--json: the drift and each case's tests" -- \
	"$PROCTHREAD" compare --json "$run" "$second"
expect_status 0 "--json fields" -- jq -e \
	'.regressions == 0 and .drift > 0 and .drift_bound > .drift and ([.cases[] | has("beyond_drift") and has("noisy")] | all)' \
	"$pt_tmp/out"

# A noisy case never counts: the slowed case, its interval now -20%/+30%
# of its median, is shown as worse but not counted.
jq "(.results[] | select($sel)) |= (.min *= 1.5 | .median *= 1.5 | .p90 *= 1.5 | .p99 *= 1.5 | .max *= 1.5 | .ci_low = .median * 0.8 | .ci_high = .median * 1.3 | .min = ([.min, .ci_low] | min) | .max = ([.max, .ci_high] | max))" \
	"$run" >"$pt_tmp/noisy.json"
expect_status 0 "a noisy case 50% slower is shown, not counted" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/noisy.json"
expect_grep out "^create +create-join +impl=raw same-cpu +thread .* WORSE \(noisy\)$" \
	"shown as worse and noisy"
expect_grep out " 0 worse, .*; 1 noisy cases worse \(not counted\)" "not counted"

# Skew is not noise: the same case slowed, its mean twice its median but
# its interval narrow, counts.
jq "(.results[] | select($sel)) |= (.min *= 1.5 | .median *= 1.5 | .p90 *= 1.5 | .p99 *= 1.5 | .max *= 1.5 | .ci_low *= 1.5 | .ci_high *= 1.5 | .mean = .median * 2)" \
	"$run" >"$pt_tmp/skewed.json"
expect_status 1 "a skewed but narrow case 50% slower counts" -- \
	"$PROCTHREAD" compare "$run" "$pt_tmp/skewed.json"
expect_grep out "^create +create-join +impl=raw same-cpu +thread .* WORSE$" \
	"shown as worse, not noisy"

# Bad input: exit 3, the file named with its problem.
echo "hello" >"$pt_tmp/text.json"
expect_status 3 "not JSON" -- "$PROCTHREAD" compare "$run" "$pt_tmp/text.json"
expect_grep err "text.json: not valid JSON" "names the file"
echo '{"results": []}' >"$pt_tmp/other.json"
expect_status 3 "JSON, not a results file" -- "$PROCTHREAD" compare "$pt_tmp/other.json" "$run"
expect_grep err "other.json: not a procthread results file" "says it is not ours"
jq '.schema = "procthread-results/99"' "$run" >"$pt_tmp/v99.json"
expect_status 3 "another schema version" -- "$PROCTHREAD" compare "$run" "$pt_tmp/v99.json"
expect_grep err "v99.json: .*procthread-results/99.* is not supported" "names the version"
head -c 3000 "$run" >"$pt_tmp/cut.json"
expect_status 3 "a truncated file" -- "$PROCTHREAD" compare "$run" "$pt_tmp/cut.json"
expect_grep err "cut.json: not valid JSON" "names the truncated file"
jq 'del(.results[0].median)' "$run" >"$pt_tmp/hole.json"
expect_status 3 "a record without its median" -- "$PROCTHREAD" compare "$run" "$pt_tmp/hole.json"
expect_grep err "hole.json: .*median" "names the field"
expect_status 3 "a missing file" -- "$PROCTHREAD" compare "$run" "$pt_tmp/none.json"
expect_grep err "none.json: cannot read" "names the missing file"
expect_status 2 "one file" -- "$PROCTHREAD" compare "$run"
expect_grep err "expected two results files" "says what is expected"
expect_status 2 "a bad threshold" -- "$PROCTHREAD" compare --threshold lots "$run" "$run"
expect_grep err "--threshold 'lots' is not a percentage" "names the value"
expect_status 2 "a negative threshold" -- "$PROCTHREAD" compare --threshold -1 "$run" "$run"
expect_status 2 "unknown option" -- "$PROCTHREAD" compare --frob "$run" "$run"

# A write error is not a regression (exit 1) but 3, said once.
if [ -w /dev/full ]; then
	for new in "$run" "$pt_tmp/slow.json"; do
		"$PROCTHREAD" compare "$run" "$new" >/dev/full 2>"$pt_tmp/err"
		got=$?
		if [ "$got" = 3 ]; then
			pass
		else
			fail "compare into /dev/full ($new): exit $got, wanted 3"
		fi
		expect_grep err "^procthread compare: cannot write the output: No space left" \
			"the write error is named"
		expect_status 1 "once" -- test "$(wc -l <"$pt_tmp/err")" -gt 1
	done
fi
finish
