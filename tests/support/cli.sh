# cli.sh - helpers for the shell tests of the procthread tool. Sourced by
# tests/cli/*.sh; $PROCTHREAD is the binary under test (set by CTest).
set -u
: "${PROCTHREAD:?PROCTHREAD must point at the procthread binary}"

pt_passed=0
pt_failed=0
pt_tmp=$(mktemp -d)
trap 'rm -rf "$pt_tmp"' EXIT

# pass: one more check passed. fail MESSAGE: one more failed, said so.
pass() { pt_passed=$((pt_passed + 1)); }
fail() {
	pt_failed=$((pt_failed + 1))
	echo "FAIL: $1"
}

# expect_status WANT DESCRIPTION -- COMMAND...: runs COMMAND, keeps its
# stdout/stderr in $pt_tmp/out and $pt_tmp/err, checks the exit status.
expect_status() {
	want=$1
	what=$2
	shift 3
	"$@" >"$pt_tmp/out" 2>"$pt_tmp/err" </dev/null
	got=$?
	if [ "$got" = "$want" ]; then
		pass
	else
		fail "$what: exit $got, wanted $want ($*)"
		sed 's/^/  stderr: /' "$pt_tmp/err" | head -5
	fi
}

# expect_grep FILE PATTERN DESCRIPTION: FILE (out or err) matches PATTERN.
expect_grep() {
	if grep -Eq -- "$2" "$pt_tmp/$1"; then
		pass
	else
		fail "$3: $1 does not match /$2/"
		sed "s/^/  $1: /" "$pt_tmp/$1" | head -10
	fi
}

# expect_empty FILE DESCRIPTION
expect_empty() {
	if [ ! -s "$pt_tmp/$1" ]; then
		pass
	else
		fail "$2: $1 is not empty"
		sed "s/^/  $1: /" "$pt_tmp/$1" | head -5
	fi
}

# expect_same WHAT GOT WANT [FILE]: the strings GOT and WANT are equal;
# when not, the end of FILE (out or err) is shown too.
expect_same() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: got '$2', wanted '$3'"
		[ $# -lt 4 ] || sed "s/^/  $4: /" "$pt_tmp/$4" | tail -5
	fi
}

# finish: the plain summary line, and the exit status.
finish() {
	echo "$pt_passed passed, $pt_failed failed"
	[ "$pt_failed" = 0 ]
}
