#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS - runs each libFuzzer target built in BUILD_DIR
# (make fuzz) for SECONDS, starting from its committed seeds in
# fuzz/corpus/<target>/. New inputs go to BUILD_DIR/fuzz/corpus/<target>/,
# not the committed folder; a crash, a leak or a timeout (10 s on one
# input) fails, and its input is kept in BUILD_DIR/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-600}
failed=0
for fuzzer in "$build"/fuzz/fuzz_*; do
	[ -x "$fuzzer" ] || continue
	name=$(basename "$fuzzer")
	work="$build/fuzz/corpus/$name"
	artifacts="$build/fuzz/artifacts/$name/"
	mkdir -p "$work" "$artifacts"
	start=$SECONDS
	status=0
	"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts" \
		-close_fd_mask=3 \
		"$work" "fuzz/corpus/$name" >"$build/fuzz/$name.log" 2>&1 ||
		status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz/$name.log")
	if [ "$status" = 0 ]; then
		echo "fuzz: $name: ok, ${runs:-?} runs ($((SECONDS - start)) s)"
	else
		echo "fuzz: $name: FAILED (exit $status), input kept in $artifacts"
		grep -E -A25 '^==[0-9]+==ERROR|deadly signal|Test unit written' \
			"$build/fuzz/$name.log" | head -60
		failed=1
	fi
done
exit $failed
