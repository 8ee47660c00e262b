// pt_peer_tbb.cpp - oneTBB's task_group on the pool suite's throughput
// workloads, a peer of procthread's thread pool (bench/peers/pool.c runs
// it). The program is C++ because oneTBB is; the project is C.
//
//   pt-peer-tbb WORKERS COUNT TASK_NS
//
// COUNT tasks are run() on a task_group of an arena of WORKERS threads,
// then waited for, as our pool's burst is submitted and its futures
// waited for; each task spins for TASK_NS (0: an empty task). Prints
// "value TASKS_PER_S", the median of 5 bursts after one warm-up burst.
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

static unsigned long long now_ns()
{
	timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

static std::atomic<unsigned long long> sink;

static void spin(unsigned long long ns)
{
	unsigned long long end = now_ns() + ns, x = 0;

	if (!ns)
		return;
	while (now_ns() < end)
		for (int i = 0; i < 64; i++)
			x += (unsigned long long)i;
	sink.fetch_add(x, std::memory_order_relaxed);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		std::fprintf(stderr, "usage: pt-peer-tbb WORKERS COUNT TASK_NS\n");
		return 2;
	}
	int workers = std::atoi(argv[1]);
	long count = std::atol(argv[2]);
	unsigned long long task_ns = std::strtoull(argv[3], nullptr, 10);

	if (workers < 1 || count < 1) {
		std::fprintf(stderr, "pt-peer-tbb: WORKERS and COUNT are at "
				     "least 1\n");
		return 2;
	}
	oneapi::tbb::task_arena arena(workers);
	std::vector<double> rates;

	for (int burst = 0; burst < 6; burst++) {
		unsigned long long start = now_ns();

		arena.execute([&] {
			oneapi::tbb::task_group group;

			for (long i = 0; i < count; i++)
				group.run([task_ns] { spin(task_ns); });
			group.wait();
		});
		if (burst > 0) // the first warms the arena's threads up
			rates.push_back((double)count * 1e9 /
					(double)(now_ns() - start));
	}
	std::sort(rates.begin(), rates.end());
	std::printf("value %.1f\n", rates[rates.size() / 2]);
	return 0;
}
