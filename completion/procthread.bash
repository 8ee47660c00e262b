# procthread.bash - bash completion for procthread(1): commands, suites,
# demos, options and their values.
#
# The names come from the tool itself (`procthread --help`, `help CMD`,
# `bench --list`), asked through the binary being completed, so they
# never fall behind the tool. Installed by `make install` into
# share/bash-completion/completions/procthread; from the source tree:
#   source completion/procthread.bash

# _procthread_words TOOL WHAT [CMD]: the names of one kind, one per line.
_procthread_words()
{
	local tool=$1 what=$2 cmd=${3:-}

	case $what in
	commands)
		"$tool" --help 2>/dev/null |
			sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
		echo help
		;;
	options)
		# The option lines of the help's "options:" list:
		# "  -o, --output FILE  ...".
		"$tool" help "$cmd" 2>/dev/null |
			sed -n '/^options:/,/^$/s/^  \(-[-a-z, ]*\).*/\1/p' |
			grep -oE -- '--?[a-z][a-z-]*' | sort -u
		;;
	suites)
		"$tool" bench --list 2>/dev/null |
			sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
		;;
	demos)
		"$tool" help demo 2>/dev/null |
			sed -n '/^demos:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
		;;
	esac
}

_procthread()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	local tool=${COMP_WORDS[0]} cmd="" i words

	# The command is the first word after the tool that is not an option.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			words="--help --version"
		else
			words=$(_procthread_words "$tool" commands)
		fi
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return
	fi

	# The value of the option before the cursor.
	case $prev in
	--json | --csv | --html | -o | --output)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		# "-", standard output, where it is accepted.
		if [[ - == "$cur"* && $prev != --html && $cmd != compare ]]; then
			COMPREPLY+=(-)
		fi
		return
		;;
	--pin)
		mapfile -t COMPREPLY < <(compgen -W "auto none" -- "$cur")
		return
		;;
	--arg | --args)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--runs | --rounds | --min-time | --threshold | --tasks | --time | \
		--workers | --size | --init | --result-max | --timeout)
		COMPREPLY=()
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		words=$(_procthread_words "$tool" options "$cmd")
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return
	fi
	case $cmd in
	help)
		words=$(_procthread_words "$tool" commands)
		;;
	bench)
		words=$(_procthread_words "$tool" suites)
		;;
	demo)
		words=$(_procthread_words "$tool" demos)
		;;
	inspect)
		words="self $(cd /proc 2>/dev/null && compgen -G '[0-9]*')"
		;;
	try)
		# LIB.so:SYMBOL - shared objects and folders to find them in.
		mapfile -t COMPREPLY < <(compgen -f -X '!*.so' -- "$cur"
			compgen -d -- "$cur")
		return
		;;
	report | compare)
		# Results files: JSON files and folders to find them in.
		mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"
			compgen -d -- "$cur")
		return
		;;
	*)
		words=""
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _procthread procthread
