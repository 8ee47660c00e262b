#!/usr/bin/env bash
# valgrind.sh BUILD_DIR - memcheck over the library's Check test programs,
# with --track-fds=yes. Every process gets its own log (process units are
# forked children and run under valgrind too): any memcheck error in any of
# them fails, and the test program itself must end with no descriptor open
# beyond the ones it inherited. CK_FORK=no runs all tests of a program in
# that one process, so valgrind sees the tests' own code and the
# descriptor count at exit covers all of them.
#
# What is left out, and why:
# - process units (PT_TEST_KINDS=thread, and the Check tag "process"):
#   valgrind 3.19, Debian 12's, answers pidfd_open and pidfd_send_signal
#   with ENOSYS, and the library starts no process without a pidfd. The
#   thread iterations of every loop test still run, and ASan covers the
#   process ones. Drop both settings once valgrind >= 3.21 is the norm.
# - tests tagged "crash": their unit makes an invalid access on purpose,
#   which memcheck rightly reports; ASan and the plain build run them.
# - programs test_forkserver, test_forkserver_failures, test_chan_ticket and
#   test_pool_faults: every case starts the fork-server, whose units are
#   process units (same reason).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
logs="$build/valgrind"
skip_programs=" test_forkserver test_forkserver_failures test_chan_ticket test_pool_faults "
export CK_FORK=no
export PT_TEST_KINDS=thread
export CK_EXCLUDE_TAGS="process crash"
# What ctest gives every test (tests/CMakeLists.txt): the tool, the trees,
# the static library and the compiler, for the tests that run them.
build_dir=$(cd "$build" && pwd)
export PROCTHREAD="$build_dir/procthread"
export PT_SOURCE_DIR="$PWD"
export PT_BINARY_DIR="$build_dir"
export PT_STATIC_LIB="$build_dir/libprocthread.a"
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
export CC

if ! command -v valgrind >/dev/null; then
	echo "valgrind: not installed; 'scripts/bootstrap.sh --optional' installs it" >&2
	exit 1
fi
rm -rf "$logs"
mkdir -p "$logs"
failed=0
for prog in "$build"/tests/test_*; do
	[ -x "$prog" ] || continue
	name=$(basename "$prog")
	case "$skip_programs" in *" $name "*) continue ;; esac
	mkdir -p "$logs/$name"
	start=$SECONDS
	status=0
	timeout 900 valgrind --tool=memcheck --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		--track-fds=yes \
		--log-file="$logs/$name/%p.log" "$prog" >"$logs/$name/stdout" 2>&1 ||
		status=$?
	verdict=
	if [ "$status" != 0 ]; then
		verdict="$verdict exit status $status;"
	fi
	# Memcheck errors in any process, the forked units included.
	if grep -l 'ERROR SUMMARY: [1-9]' "$logs/$name"/*.log >/dev/null 2>&1; then
		verdict="$verdict memcheck errors;"
	fi
	# Descriptors the test program left open, from its own log: the one
	# whose parent is not another logged process (forked units are).
	main_log=
	for log in "$logs/$name"/*.log; do
		ppid=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\)$/\1/p' "$log")
		[ -e "$logs/$name/$ppid.log" ] || main_log=$log
	done
	if [ -z "$main_log" ]; then
		verdict="$verdict no valgrind log;"
	elif awk '/Open file descriptor [0-9]+:/ {
			fd = $0; sub(/.*descriptor /, "", fd); fd += 0; next_line = 1; next
		}
		next_line { if (fd > 2 && $0 !~ /inherited from parent/) bad = 1; next_line = 0 }
		END { exit !bad }' "$main_log"; then
		verdict="$verdict descriptors left open;"
	fi
	echo "valgrind: $name:${verdict:- ok} ($((SECONDS - start)) s)"
	if [ -n "$verdict" ]; then
		failed=1
		tail -20 "$logs/$name/stdout"
		# head may close the pipe early: that is no failure of ours.
		grep -h -B2 -A20 -e 'ERROR SUMMARY: [1-9]' -e 'Open file descriptor' \
			"$logs/$name"/*.log | head -80 || true
	fi
done
exit $failed
