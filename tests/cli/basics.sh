# basics.sh - the tool's entry point: help, version, and usage errors.
. "$(dirname "$0")/../support/cli.sh"

expect_status 0 "--help" -- "$PROCTHREAD" --help
expect_grep out "usage: procthread COMMAND" "--help shows usage"
expect_grep out "demo" "--help lists demo"

expect_status 0 "--version" -- "$PROCTHREAD" --version
expect_grep out "^procthread [0-9]+\.[0-9]+\.[0-9]+" "--version"

expect_status 0 "help demo" -- "$PROCTHREAD" help demo
expect_grep out "usage: procthread demo" "help demo shows its usage"

expect_status 2 "no command" -- "$PROCTHREAD"
expect_grep err "usage: procthread" "no command prints usage"

expect_status 2 "unknown command" -- "$PROCTHREAD" frobnicate
expect_grep err "unknown command 'frobnicate'; commands:.*demo" \
	"unknown command names what is accepted"

expect_status 2 "unknown top option" -- "$PROCTHREAD" --frob
expect_grep err "unknown option '--frob'" "unknown option named"

expect_status 2 "help of unknown command" -- "$PROCTHREAD" help frobnicate
expect_grep err "unknown command 'frobnicate'" "help names the bad command"

expect_status 2 "help with two names" -- "$PROCTHREAD" help demo demo
expect_status 2 "unknown demo" -- "$PROCTHREAD" demo nosuch
expect_grep err "unknown demo 'nosuch'; accepted: .*isolation" \
	"unknown demo lists accepted ones"
expect_status 2 "unknown demo option" -- "$PROCTHREAD" demo --nosuch
expect_grep err "unknown option '--nosuch'" "demo names the bad option"
expect_status 2 "two demo names" -- "$PROCTHREAD" demo isolation isolation

finish
