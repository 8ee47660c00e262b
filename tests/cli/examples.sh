# examples.sh - every program under examples/ runs and prints what its
# comment says it shows. Each example has its own checks below; a new
# example without checks fails here, so none goes untested.
. "$(dirname "$0")/../support/cli.sh"

dir="$PT_BINARY_DIR/examples"
checked=" "

check_unit_both_ways() {
	expect_status 0 "unit_both_ways runs" -- "$dir/unit_both_ways"
	expect_grep out "^thread: returned with code 0; job.sum in my memory = 500500, calls = 1, result bytes = 500500$" \
		"a thread writes the caller's memory"
	expect_grep out "^process: returned with code 0; job.sum in my memory = 0, calls = 0, result bytes = 500500$" \
		"a process writes its copy, and hands its result back"
	expect_grep out "^thread past its deadline: timed-out, returned 7 after it was asked to stop$" \
		"a thread past its deadline is asked to stop"
	expect_grep out "^process past its deadline: timed-out, killed by signal 9 " \
		"a process past its deadline is killed"
	checked="$checked unit_both_ways "
}

check_chan_ping_pong() {
	expect_status 0 "chan_ping_pong runs" -- "$dir/chan_ping_pong"
	expect_grep out "^over shm: 10000 round trips, 0 wrong replies, " \
		"every reply came back right, in order"
	expect_grep out "^child process [0-9]+ answered 10000 and returned with code 0$" \
		"the child answered all and saw the channel close"
	expect_status 2 "chan_ping_pong refuses an unknown transport" -- \
		"$dir/chan_ping_pong" carrier-pigeon
	checked="$checked chan_ping_pong "
}

check_pool_survives_crash() {
	expect_status 0 "pool_survives_crash runs" -- "$dir/pool_survives_crash"
	expect_grep out "^task 7: crashed \(crashed, signal 11: .*\) in worker process [0-9]+$" \
		"the crashed task's future says what happened"
	expect_grep out "^19 of 20 tasks came back right$" "the other tasks are untouched"
	expect_grep out "^afterwards, 5 of 5 more tasks came back right$" "the pool still works"
	expect_grep out "^pool: 24 ok, 1 crashed, 1 worker replaced$" "one worker was replaced"
	checked="$checked pool_survives_crash "
}

check_pool_anywhere() {
	for on in threads processes; do
		expect_status 0 "pool_anywhere --on $on runs" -- \
			"$dir/pool_anywhere" --on $on
		expect_grep out "^on $on: 3 workers, 200 tasks, 17984 primes below 200000: correct$" \
			"the pool on $on counts right"
		expect_grep out "^tasks per worker: [0-9]+ [0-9]+ [0-9]+$" \
			"it says what each worker did"
	done
	# on MPI ranks it runs under mpirun: tests/mpi/CMakeLists.txt
	expect_status 2 "pool_anywhere --on mpi outside mpirun is refused" -- \
		"$dir/pool_anywhere" --on mpi
	expect_status 2 "pool_anywhere refuses an unknown place" -- \
		"$dir/pool_anywhere" --on moon
	checked="$checked pool_anywhere "
}

check_unit_both_ways
check_chan_ping_pong
check_pool_anywhere
check_pool_survives_crash

for src in "$PT_SOURCE_DIR"/examples/*.c; do
	name=$(basename "$src" .c)
	case "$checked" in
	*" $name "*) ;;
	*)
		fail "examples/$name.c has no checks in $0"
		;;
	esac
done
finish
