#!/bin/sh
# bounded.sh's promises (tests/support/bounded.sh): a command that ends in
# time keeps its status; one that runs past the limit is shown - every
# process of its tree, each thread's state - then ended, and the status is
# 124, as timeout(1) gives.
here=$(dirname "$0")/../support
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() {
	echo "FAIL: $1"
	sed 's/^/    | /' "$out"
	exit 1
}

sh "$here/bounded.sh" 5 sh -c 'exit 3' >"$out" 2>&1
[ $? = 3 ] || fail "a command that ends in time: its status is kept"

# A job with a child, which ends both on SIGTERM.
sh "$here/bounded.sh" 1 sh -c \
	'trap "kill \$!; exit 0" TERM; sleep 60 & wait' >"$out" 2>&1
rc=$?
[ "$rc" = 124 ] || fail "a job past its limit: exit $rc, not 124"
grep -q "still runs after 1 s" "$out" || fail "no word of the limit"
[ "$(grep -c '^== process' "$out")" = 2 ] ||
	fail "the job and its child are not both shown"
grep -q "^== process [0-9]*: sleep 60" "$out" || fail "the child is not shown"
grep -Eq "^   thread [0-9]+ \(sleep\): state [A-Z]" "$out" ||
	fail "the child's thread and its state are not shown"
echo "ok: bounded.sh keeps a status, and shows then ends a job past its limit"
