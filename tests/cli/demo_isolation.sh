# demo_isolation.sh - the isolation demo's facts, read back and checked.
. "$(dirname "$0")/../support/cli.sh"

expect_status 0 "demo isolation" -- "$PROCTHREAD" demo isolation
expect_empty err "no errors"
expect_grep out "^thread: +one address space" "thread conclusion"
expect_grep out "^process: the same virtual addresses" "process conclusion"
expect_grep out "descriptor in parent +closed +still open" "descriptor row"
if grep -q $'\033' "$pt_tmp/out"; then
	fail "colour written to a pipe"
fi

expect_status 0 "demo isolation --json" -- "$PROCTHREAD" demo isolation --json
# Check the facts with python3's json module when present, else with grep.
if command -v python3 >/dev/null 2>&1; then
	if python3 - "$pt_tmp/out" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))["isolation"]
t, p = d["thread"], d["process"]
assert t["global_seen_by_unit"] == 2 and t["global_seen_by_parent"] == 2, t
assert p["global_seen_by_unit"] == 2 and p["global_seen_by_parent"] == 1, p
assert t["global_address"] == p["global_address"], "addresses differ"
assert t["heap_seen_by_parent"] == "unit" and p["heap_seen_by_parent"] == "parent"
assert t["fd_open_in_parent"] is False and p["fd_open_in_parent"] is True
assert t["page_in_parent_maps"] is True and p["page_in_parent_maps"] is False
assert t["maps_identical"] is True and p["maps_identical"] is False
assert t["pid"] == d["parent_pid"] and p["pid"] != d["parent_pid"]
assert t["tid"] != t["pid"] and p["tid"] == p["pid"]
PY
		pass
	else
		fail "isolation facts"
	fi
else
	expect_grep out '"global_seen_by_parent": 1' "process copy unchanged"
fi

finish
