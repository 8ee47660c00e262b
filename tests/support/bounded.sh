#!/bin/sh
# bounded.sh SECONDS COMMAND [ARGS...] - runs COMMAND for at most SECONDS,
# as timeout(1) does, with its status, or 124 when it was ended for running
# too long. Before ending it (SIGTERM, then SIGKILL if it still runs 10 s later), it says
# where each thread of COMMAND and of its descendants waits (stacks.sh):
# a test whose job runs past its limit is hung, not slow, and a hang that
# happens once in many runs, in CI, leaves no other trace.
limit=$1
shift
"$@" &
job=$!
waited=0
while kill -0 "$job" 2>/dev/null; do
	if [ "$waited" -ge "$limit" ]; then
		echo "bounded.sh: $1 still runs after $limit s; where it waits:"
		sh "$(dirname "$0")/stacks.sh" "$job"
		kill -TERM "$job"
		while kill -0 "$job" 2>/dev/null && [ "$waited" -lt $((limit + 10)) ]; do
			sleep 1
			waited=$((waited + 1))
		done
		kill -KILL "$job" 2>/dev/null
		wait "$job"
		exit 124
	fi
	sleep 1
	waited=$((waited + 1))
done
wait "$job"
