# usage_errors.sh - a bad command line gets one line on stderr that says
# what was wrong, with a "did you mean" for a near miss of a command,
# suite, demo or option, names an ambiguous abbreviation as such, and
# exits 2 having run nothing.
. "$(dirname "$0")/../support/cli.sh"

# usage WANT ARGS...: exit 2, nothing on stdout, one line on stderr that
# contains WANT (a fixed string).
usage() {
	local msg=$1
	shift
	expect_status 2 "procthread $*" -- "$PROCTHREAD" "$@"
	if grep -qF -- "$msg" "$pt_tmp/err" && [ "$(wc -l <"$pt_tmp/err")" = 1 ] &&
		[ ! -s "$pt_tmp/out" ]; then
		pass
	else
		fail "procthread $*: wanted one line with '$msg'"
		sed 's/^/  stderr: /' "$pt_tmp/err" | head -5
	fi
}

# Near misses.
usage "unknown command 'bnch'; did you mean 'bench'?" bnch
usage "unknown command 'comapre'; did you mean 'compare'?" comapre
usage "unknown command 'bnch'; did you mean 'bench'?" help bnch
usage "unknown command 'frobnicate'; commands: demo bench" frobnicate
usage "unknown option '--quik'; did you mean '--quick'?" bench --quik
usage "unknown option '--jsn'; did you mean '--json'?" bench --jsn x.json
usage "unknown option '--thresold'; did you mean '--threshold'?" compare --thresold 3 a b
usage "unknown option '--outptu'; did you mean '--output'?" report --outptu x
usage "unknown option '--frobnicate'" bench --frobnicate
usage "unknown demo 'isolaton'; did you mean 'isolation'?" demo isolaton
usage "unknown suite 'crate'; did you mean 'create'?" bench crate
usage "unknown suite 'nosuch'; accepted: create" bench nosuch

# What getopt_long() would only call '?'.
usage "option '--json' takes no value, but was given 'x'" demo isolation --json=x
usage "option '--qui' is ambiguous: it may be --quick, --quiet" bench --qui
usage "option '--runs' needs a value" bench --runs
usage "unknown option '-x'" bench -x

# Values: a range, and what is accepted.
usage "--runs: '0' is not a whole number from 1 to 100000" bench --runs 0
usage "--rounds: '101' is not a whole number from 1 to 100" bench --rounds 101
usage "--rounds 3 is more than --runs 2" bench --runs 2 --rounds 3
usage "--min-time: 'soon' is not a time from 0 to 3600 seconds" bench --min-time soon
usage "--pin: 'x' is not valid; accepted: auto, none" bench --pin x
usage "--threshold 'lots' is not a percentage from 0 to 1000" compare --threshold lots a b
usage "'abc' is not a pid; accepted: a number from 1 to" inspect abc

# A unique abbreviation is accepted (documented in procthread(1)).
expect_status 0 "bench --li is --list" -- "$PROCTHREAD" bench --li
expect_grep out "^suites" "and lists the suites"
finish
