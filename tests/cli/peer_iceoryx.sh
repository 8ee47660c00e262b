#!/bin/bash
# peer_iceoryx.sh - the iceoryx peer of `bench ipc` (pt-peer-iceoryx): a
# round trip in both wait modes gives a figure, its own RouDi leaves
# nothing in /dev/shm, and a bad command line is refused. Skipped where
# iceoryx's C binding was not found at build time.
. "$PT_SOURCE_DIR/tests/support/cli.sh"

peer="$PT_BINARY_DIR/pt-peer-iceoryx"
if [ ! -x "$peer" ]; then
	echo "iceoryx peer not built (libiceoryx-binding-c-dev): skipped"
	exit 0
fi
if pgrep -x iox-roudi >/dev/null; then
	echo "another RouDi runs: skipped"
	exit 0
fi
before=$(ls /dev/shm | sort)
for wait in busy waitset; do
	expect_status 0 "a 64-byte round trip, $wait" -- "$peer" 64 "$wait" 200
	expect_grep out "^value [0-9.]+$" "$wait: one figure, ns per round trip"
done
expect_status 0 "a 1 MiB round trip" -- "$peer" 1048576 busy 20
expect_grep out "^value [0-9.]+$" "1 MiB: one figure"
after=$(ls /dev/shm | sort)
if [ "$before" = "$after" ]; then
	pass
else
	fail "/dev/shm differs: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
fi
# Another user's RouDi is left alone: a process named iox-roudi (here a
# copy of sleep under that name) makes the peer refuse, exit 3, and touch
# nothing in /dev/shm.
cp "$(command -v sleep)" "$pt_tmp/iox-roudi"
"$pt_tmp/iox-roudi" 30 &
other=$!
expect_status 3 "another RouDi runs" -- "$peer" 64 busy 10
expect_grep err "another RouDi is running; not touching it" "says why"
kill "$other"
wait "$other" 2>/dev/null
if [ "$(ls /dev/shm | sort)" = "$before" ]; then
	pass
else
	fail "the refusal left something in /dev/shm"
fi

expect_status 2 "a bad wait mode" -- "$peer" 64 sometimes 10
expect_status 2 "a size below 8" -- "$peer" 4 busy 10
finish
