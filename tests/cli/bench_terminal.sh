#!/bin/bash
# bench_terminal.sh - what `procthread bench` prints for a person: the table
# fits COLUMNS, a Summary block closes it, and colour follows --color and
# NO_COLOR.
. "$PT_SOURCE_DIR/tests/support/cli.sh"

# widest FILE: the display width of its widest line (wc -L counts columns).
widest() { LC_ALL=C.UTF-8 wc -L <"$1"; }

expect_status 0 "a small run" -- env COLUMNS=100 "$PROCTHREAD" bench create \
	switch --runs 3 --rounds 1 --no-peers --quiet
if [ "$(widest "$pt_tmp/out")" -le 100 ]; then
	pass
else
	fail "COLUMNS=100: a line of $(widest "$pt_tmp/out") columns"
	awk 'length > 100' "$pt_tmp/out" | head -3
fi
expect_grep out "^Summary: processes over threads" "the Summary block"
expect_grep out "^  creation +[0-9.]+× \[[0-9.]+× … [0-9.]+×\] processes (dearer|cheaper)|no clear difference" \
	"creation's line: ratio, interval, verdict"
expect_grep out "^  memory +not measured \(suite memory\)" "a claim whose suite did not run"
expect_grep out "^create" "a heading per suite"
if grep -q $'\033' "$pt_tmp/out"; then
	fail "colour on a pipe"
else
	pass
fi

expect_status 0 "--color=always" -- env NO_COLOR=1 "$PROCTHREAD" bench create \
	--runs 3 --rounds 1 --no-peers --quiet --color=always
expect_grep out $'\033\\[1mSummary' "--color=always colours even with NO_COLOR"

expect_status 2 "--color=sometimes" -- "$PROCTHREAD" bench create --color=sometimes
expect_grep err "--color: 'sometimes' is not auto, always or never" "the bad value named"

finish
