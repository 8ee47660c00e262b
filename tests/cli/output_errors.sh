# output_errors.sh - a write error on stdout (here: a full disk) is reported
# once, at exit, with status 1, instead of being lost.
. "$(dirname "$0")/../support/cli.sh"

if [ -w /dev/full ]; then
	"$PROCTHREAD" --help >/dev/full 2>"$pt_tmp/err" </dev/null
	got=$?
	if [ "$got" = 1 ]; then
		pass
	else
		fail "--help into /dev/full: exit $got, wanted 1"
	fi
	expect_grep err "cannot write the output: No space left" \
		"the write error is named"
fi
expect_status 0 "--help into a file" -- "$PROCTHREAD" --help
finish
