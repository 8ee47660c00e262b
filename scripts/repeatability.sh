#!/usr/bin/env bash
# repeatability.sh - the benchmark's repeatability check (issue 3): two
# result files of back-to-back runs on one machine; every case of ours must
# have medians within the bound (default 10%) of each other, or be flagged
# noisy by the table in either run (its interval is wide). Prints the cases
# that break this, a summary line, and exits 1 when there is any.
#
#   ./build/procthread bench --quick --json a.json
#   ./build/procthread bench --quick --json b.json
#   scripts/repeatability.sh a.json b.json [BOUND_PERCENT]
set -euo pipefail
export LC_ALL=C # one collation for sort and join

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 A.json B.json [BOUND_PERCENT]" >&2
	exit 2
fi
bound=${3:-10}
case $bound in
'' | *[!0-9.]*)
	echo "$0: bound '$bound' is not a number of percent" >&2
	exit 2
	;;
esac
command -v jq >/dev/null || {
	echo "$0: needs jq (scripts/bootstrap.sh installs it)" >&2
	exit 2
}

# One line per case of ours: key, median, noisy (the table's rule:
# interval wider than 10% of the median, or a mean 1.25 times the median
# with 10 samples or more; docs/results-schema.md).
cases() {
	jq -r '.results[] | select(.peer == null)
		| [ ([.suite, .name, .kind, (.params | to_entries
			| map("\(.key)=\(.value)") | sort | join(" "))]
			| join(" | ")),
		    .median,
		    ( (if .median == 0 then (.ci_high - .ci_low) > 0
		       else ((.ci_high - .ci_low) / (.median | fabs)) > 0.10
		       end)
		      or (.samples >= 10 and .median > 0
			  and .mean > 1.25 * .median) ) ]
		| @tsv' "$1" | sort
}

join -t $'\t' <(cases "$1") <(cases "$2") |
	awk -F'\t' -v bound="$bound" '
	{
		n++
		a = $2; b = $4 # key, then median and noisy of A, then of B
		r = (a == 0 && b == 0) ? 1 : (a == 0 ? 1e9 : b / a)
		moved = r > 1 + bound / 100 || r < 1 / (1 + bound / 100)
		noisy = $3 == "true" || $5 == "true"
		if (!moved) { steady++; next }
		if (noisy) { flagged++; next }
		bad++
		printf "moved %+.1f%%, not flagged: %s\n", (r - 1) * 100, $1
	}
	END {
		printf "%d cases in both runs: %d within %s%%, %d moved more but flagged noisy, %d moved more unflagged\n",
			n, steady, bound, flagged, bad
		exit bad > 0
	}'
