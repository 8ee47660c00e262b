#!/bin/bash
# bench.sh - `procthread bench` refuses every bad command line with exit
# status 2 and a one-line message saying what was wrong, before it runs
# anything; --list and --help work.
set -u
tool=${PROCTHREAD:?PROCTHREAD is not set (run through ctest)}
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_usage MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing on stdout.
expect_usage() {
	local want=$1
	shift
	"$tool" bench "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" != 2 ] || ! grep -qF -- "$want" "$tmp/err" || [ -s "$tmp/out" ]; then
		echo "FAIL: bench $* -> status $rc, stderr: $(cat "$tmp/err")"
		failures=$((failures + 1))
	fi
}

expect_usage "--runs: '0' is not a whole number" --runs 0
expect_usage "--runs: 'abc' is not a whole number" --runs abc
expect_usage "--runs: '100001'" --runs 100001
expect_usage "--runs: '-3'" --runs -3
expect_usage "--rounds: '0' is not a whole number from 1 to 100" --rounds 0
expect_usage "--rounds: '101'" --rounds 101
expect_usage "--rounds: 'x'" --rounds x
expect_usage "--min-time: '-1'" --min-time -1
expect_usage "--min-time: '5x'" --min-time 5x
expect_usage "--min-time: '4000'" --min-time 4000
expect_usage "--pin: 'cpu0' is not valid" --pin cpu0
expect_usage "--pin: '0,1,0' is not valid" --pin 0,1,0
expect_usage "--pin: CPU 999 is not one" --pin 999
expect_usage "unknown suite 'nosuch'; accepted: create" nosuch
expect_usage "suite 'create' named twice" create create
expect_usage "--quick and --full exclude each other" --quick --full
expect_usage "--json: cannot write $tmp/no/such/dir/r.json: directory $tmp/no/such/dir does not exist" --json "$tmp/no/such/dir/r.json"
expect_usage "--csv: cannot write $tmp/no/such/dir/r.csv: directory $tmp/no/such/dir does not exist" --csv "$tmp/no/such/dir/r.csv"
expect_usage "cannot both use stdout" --json - --csv -
expect_usage "unknown option '--bogus'" --bogus
expect_usage "option '--runs' needs a value" --runs

# --list names every suite and its peers; --help prints the usage.
if ! "$tool" bench --list >"$tmp/list" 2>&1 ||
	! grep -q '^  create ' "$tmp/list" || ! grep -q '^  memory ' "$tmp/list" ||
	! grep -q '^  switch ' "$tmp/list" || ! grep -q '^  ipc ' "$tmp/list" ||
	! grep -q 'peers: stress-ng' "$tmp/list"; then
	echo "FAIL: bench --list: $(cat "$tmp/list")"
	failures=$((failures + 1))
fi
if ! "$tool" bench --help | grep -q '^usage: procthread bench'; then
	echo "FAIL: bench --help"
	failures=$((failures + 1))
fi
if ! "$tool" help bench | grep -q -- '--min-time T'; then
	echo "FAIL: help bench"
	failures=$((failures + 1))
fi

# A short real run: the table goes to stdout, nothing but notes to stderr
# (not a terminal: no progress line), CSV has a header and rows.
if ! "$tool" bench switch --runs 3 --no-peers --csv "$tmp/r.csv" >"$tmp/out" 2>"$tmp/err"; then
	echo "FAIL: bench switch --runs 3: $(cat "$tmp/err")"
	failures=$((failures + 1))
fi
if ! grep -q 'token-pass' "$tmp/out" || grep -q $'\r' "$tmp/err" ||
	! head -1 "$tmp/r.csv" | grep -q '^suite,name,kind,peer,params' ||
	[ "$(grep -c '^switch,' "$tmp/r.csv")" -lt 12 ]; then
	echo "FAIL: bench switch output: $(head -5 "$tmp/out") / $(head -3 "$tmp/r.csv")"
	failures=$((failures + 1))
fi

[ "$failures" = 0 ] && echo "bench CLI: all checks passed"
exit $((failures > 0))
