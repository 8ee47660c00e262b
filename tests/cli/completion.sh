# completion.sh - the bash completion script (completion/procthread.bash)
# completes commands, suites, demos, options and option values for a few
# prefixes, and `cmake --install` puts it where bash-completion looks.
. "$(dirname "$0")/../support/cli.sh"

script="$PT_SOURCE_DIR/completion/procthread.bash"

# completes "WORDS..." -- WANT...: completing the last of WORDS (after
# the tool) offers exactly WANT, in any order.
completes() {
	local words=() want
	while [ "$1" != -- ]; do
		words+=("$1")
		shift
	done
	shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_procthread
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' _ "$script" "$PROCTHREAD" "${words[@]}")
	if [ "$got" = "$want" ]; then
		pass
	else
		fail "completing 'procthread ${words[*]}': got '$got', wanted '$want'"
	fi
}

completes b -- bench
completes "" -- demo bench try inspect report compare help
completes - -- --help --version
completes help co -- compare
completes bench cr -- create
completes bench s -- switch scale
completes bench --q -- --quick --quiet
completes bench --no -- --no-peers
completes bench --pin "" -- auto none
completes bench --runs "" --
completes demo iso -- isolation
completes demo --j -- --json
completes report --o -- --output
completes compare --th -- --threshold
completes inspect se -- self
completes try --ti -- --time --timeout
completes try --tasks "" --
mkdir "$pt_tmp/r"
: >"$pt_tmp/r/run.json"
: >"$pt_tmp/r/run.txt"
: >"$pt_tmp/r/task.so"
completes try "$pt_tmp/r/t" -- "$pt_tmp/r/task.so"
completes try --args "$pt_tmp/r/ta" -- "$pt_tmp/r/task.so"
completes compare "$pt_tmp/r/ru" -- "$pt_tmp/r/run.json"
completes bench --json "$pt_tmp/r/run.t" -- "$pt_tmp/r/run.txt"

expect_status 0 "the script registers itself for procthread" -- \
	bash -c 'source "$1" && complete -p procthread' _ "$script"
expect_grep out "complete -F _procthread procthread" "with _procthread"

prefix="$pt_tmp/prefix"
expect_status 0 "install into a temporary prefix" -- \
	cmake --install "$PT_BINARY_DIR" --prefix "$prefix"
expect_status 0 "installed for bash-completion" -- \
	test -f "$prefix/share/bash-completion/completions/procthread"
finish
