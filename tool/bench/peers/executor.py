#!/usr/bin/env python3
"""pt-peer-executor.py - Python's concurrent.futures on the pool suite's
workloads, a peer of procthread's pools (bench/peers/pool.c runs it).

    python3 pt-peer-executor.py thread|process latency|throughput WORKERS COUNT SIZE

latency: COUNT tasks one at a time, each submitted and its result waited
for; prints "value NS" per task. throughput: COUNT tasks submitted, then
every result waited for; prints "value TASKS_PER_S". With SIZE > 0 the
task receives SIZE bytes and returns them (pickled both ways for the
process pool). One task runs before the clock starts: ProcessPoolExecutor
starts its workers on first use.
"""
import concurrent.futures as cf
import sys
import time


def empty():
    return None


def echo(data):
    return data


def main(argv):
    if len(argv) != 6:
        sys.stderr.write("usage: %s thread|process latency|throughput "
                         "WORKERS COUNT SIZE\n" % argv[0])
        return 2
    kind, mode = argv[1], argv[2]
    workers, count, size = int(argv[3]), int(argv[4]), int(argv[5])
    if kind not in ("thread", "process") or mode not in ("latency",
                                                         "throughput"):
        sys.stderr.write("%s: unknown kind or mode\n" % argv[0])
        return 2
    executor = (cf.ThreadPoolExecutor if kind == "thread"
                else cf.ProcessPoolExecutor)(max_workers=workers)
    payload = bytes(size)
    fn, args = (echo, (payload,)) if size else (empty, ())
    with executor:
        for _ in range(workers):
            executor.submit(fn, *args).result()
        t0 = time.monotonic_ns()
        if mode == "latency":
            for _ in range(count):
                executor.submit(fn, *args).result()
        else:
            futures = [executor.submit(fn, *args) for _ in range(count)]
            for f in futures:
                f.result()
        t1 = time.monotonic_ns()
    if mode == "latency":
        print("value %.1f" % ((t1 - t0) / count))
    else:
        print("value %.1f" % (count * 1e9 / (t1 - t0)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
