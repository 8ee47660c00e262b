# plot.sh - scripts/plot.py: a histogram and a violin per case from the raw
# samples. Without python3 the test is skipped (77); without matplotlib,
# the optional dependency, the script must say so and exit 3, and the
# drawing is skipped (77) once that is checked.
. "$(dirname "$0")/../support/cli.sh"

command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
# The first python3 on PATH may be a private one (pyenv) without the
# system's packages: use the system's when only it has matplotlib.
python3() {
	if ! command python3 -c 'import matplotlib' 2>/dev/null &&
		/usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
		/usr/bin/python3 "$@"
	else
		command python3 "$@"
	fi
}
plot="$PT_SOURCE_DIR/scripts/plot.py"
old="$PT_SOURCE_DIR/tests/data/quick-v1.json"

expect_status 2 "not a results file" -- python3 "$plot" "$PT_SOURCE_DIR/README.md"
if ! python3 -c 'import matplotlib' 2>/dev/null; then
	expect_status 3 "without matplotlib: exit 3" -- python3 "$plot" "$old" -o "$pt_tmp/plots"
	expect_grep err "matplotlib is not installed; install it with" "and says how to install it"
	finish || exit 1
	echo "skipped: matplotlib not installed, no figure drawn"
	exit 77
fi
expect_status 1 "a schema 1 file has no raw samples" -- python3 "$plot" "$old" -o "$pt_tmp/plots"
expect_grep err "no record with raw samples" "and says so"

# A short run of our own (schema 2, with raw) for the figures.
expect_status 0 "a short run with raw samples" -- "$PROCTHREAD" bench create \
	--runs 20 --rounds 1 --no-peers --min-time 0.01 --json "$pt_tmp/run.json"
expect_status 0 "figures of the create suite" -- \
	python3 "$plot" "$pt_tmp/run.json" -o "$pt_tmp/plots" --name create-join --max-cases 3
expect_grep out "plot.py: 3 figures in" "three figures"
n=$(find "$pt_tmp/plots" -name '*.png' -size +5k | wc -l)
expect_status 0 "three PNG files that are not empty ($n)" -- test "$n" -eq 3
finish
