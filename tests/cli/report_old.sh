# report_old.sh - files of the older schema are still read: quick-v1.json is
# a quick run written by main before raw samples (schema
# procthread-results/1). `report` renders it and `compare` reads it against
# itself and against a run of the current schema.
. "$(dirname "$0")/../support/cli.sh"

old="$PT_SOURCE_DIR/tests/data/quick-v1.json"

expect_status 0 "report of a schema 1 file" -- \
	"$PROCTHREAD" report "$old" -o "$pt_tmp/old.html"
expect_grep old.html '<svg class="chart"' "its charts are drawn"
expect_grep old.html '<section id="suite-create">' "its suites are there"
expect_status 1 "no nan drawn" -- grep -q 'nan' "$pt_tmp/old.html"
expect_status 0 "compare of a schema 1 file with itself" -- \
	"$PROCTHREAD" compare "$old" "$old"
expect_grep out " 0 worse, 0 better" "nothing changed"
# The same file as schema 2: the version alone does not change a verdict.
jq '.schema = "procthread-results/2"' "$old" >"$pt_tmp/new.json"
expect_status 0 "compare of schema 1 against schema 2" -- \
	"$PROCTHREAD" compare "$old" "$pt_tmp/new.json"
finish
