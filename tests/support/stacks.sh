#!/bin/sh
# stacks.sh PID - where every thread of PID and of its descendants waits:
# each process's command line, each thread's state and kernel wait channel
# and, where gdb is installed, its user stack. A test that found its job
# hung calls it before it kills the job, so the failure says where the job
# stopped, not only that it did.
root=$1

# Every process's parent, from /proc/PID/stat: the command name, in
# parentheses, may hold spaces, so the fields are read after its last ")".
parents() {
	for stat in /proc/[0-9]*/stat; do
		line=$(cat "$stat" 2>/dev/null) || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		echo "${line%% *} $2"
	done
}

# PID and its descendants, parents first.
tree() {
	parents | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1 }
		END {
			todo[n = 1] = root
			for (i = 1; i <= n; i++) {
				print todo[i]
				k = split(kids[todo[i]], more, " ")
				for (m = 1; m <= k; m++)
					todo[++n] = more[m]
			}
		}'
}

for pid in $(tree "$root"); do
	[ -d "/proc/$pid" ] || continue
	echo "== process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
	for task in /proc/"$pid"/task/*; do
		stat=$(cat "$task/stat" 2>/dev/null) || continue
		name=${stat#*(}
		name=${name%)*}
		rest=${stat##*) }
		echo "   thread ${task##*/} ($name): state ${rest%% *}, waits in $(cat "$task/wchan" 2>/dev/null || echo '?')"
	done
	if command -v gdb >/dev/null 2>&1; then
		timeout 60 gdb -nx -batch -p "$pid" -ex 'set pagination off' \
			-ex 'thread apply all bt 16' </dev/null 2>/dev/null |
			grep -E '^(Thread|#)' | sed 's/^/   /'
	fi
done
