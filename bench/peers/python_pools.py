#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peers poolbench is compared with, measured the same way and printed the same way (one
JSON line per run): Celery's prefork TaskPool driving its AsynPool from a kombu Hub, as a Celery
worker does; the same TaskPool with threads (billiard's thread-driven Pool); billiard.Pool; and
multiprocessing.Pool. Debian: python3-celery, python3-billiard.

    python_pools.py throughput CONTENDER --processes N --count N [--strategy fair|fcfs]
                               [--payload BYTES]
    python_pools.py start CONTENDER --processes N

CONTENDER: celery-asynpool | celery-threads | billiard | multiprocessing
"""
import argparse
import json
import os
import sys
import threading
import time


def noop():
    return None


def echo(payload):
    return payload


def whoami():
    return os.getpid()


class Counter:
    """Counts outcomes; thread-safe enough for the result-handler threads of the pools."""

    def __init__(self):
        self.done = 0
        self.pids = set()
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.target = None

    def on_result(self, value=None):
        with self.lock:
            self.done += 1
            if isinstance(value, int):
                self.pids.add(value)
            if self.target is not None and self.target(self):
                self.event.set()

    def on_error(self, exc):
        print(f"job failed: {exc!r}", file=sys.stderr)
        self.on_result()


class CeleryAsynPool:
    """Celery's TaskPool with its AsynPool, registered with a kombu Hub and driven by it."""

    def __init__(self, processes, strategy):
        from celery import Celery
        from celery.concurrency.prefork import TaskPool
        from kombu.asynchronous import Hub, set_event_loop
        from kombu.asynchronous.semaphore import LaxBoundedSemaphore

        self.app = Celery("poolbench-peer", set_as_current=True)
        self.hub = Hub()
        set_event_loop(self.hub)
        # The options a Celery worker's Pool component passes when it uses the event loop.
        self.pool = TaskPool(processes, initargs=(self.app, "poolbench@localhost"),
                             putlocks=False, threads=False, max_restarts=100,
                             forking_enable=True, semaphore=LaxBoundedSemaphore(processes),
                             sched_strategy=strategy, app=self.app)
        self.pool.start()
        self.pool.register_with_event_loop(self.hub)
        self.loop = self.hub.create_loop()

    def apply(self, fn, args, counter):
        self.pool.apply_async(fn, args, callback=counter.on_result,
                              error_callback=counter.on_error)

    def wait(self, condition):
        while not condition():
            next(self.loop)

    def close(self):
        self.pool.stop()
        self.hub.close()


class CeleryThreads:
    """Celery's TaskPool with threads=True: billiard's Pool with its handler threads."""

    def __init__(self, processes, strategy):
        from celery import Celery
        from celery.concurrency.prefork import TaskPool

        self.app = Celery("poolbench-peer", set_as_current=True)
        self.pool = TaskPool(processes, initargs=(self.app, "poolbench@localhost"),
                             putlocks=False, threads=True, forking_enable=True, app=self.app)
        self.pool.start()

    def apply(self, fn, args, counter):
        self.pool.apply_async(fn, args, callback=counter.on_result,
                              error_callback=counter.on_error)

    def wait(self, condition):
        while not condition():
            time.sleep(0.0005)

    def close(self):
        self.pool.stop()


class PlainPool:
    """billiard.Pool or multiprocessing.Pool (fork), apply_async with a callback."""

    def __init__(self, module, processes):
        if module == "billiard":
            import billiard
            self.pool = billiard.Pool(processes)
        else:
            import multiprocessing
            self.pool = multiprocessing.get_context("fork").Pool(processes)

    def apply(self, fn, args, counter):
        self.pool.apply_async(fn, args, callback=counter.on_result,
                              error_callback=counter.on_error)

    def wait(self, condition):
        while not condition():
            time.sleep(0.0005)

    def close(self):
        self.pool.close()
        self.pool.join()


def make(contender, processes, strategy):
    if contender == "celery-asynpool":
        return CeleryAsynPool(processes, strategy)
    if contender == "celery-threads":
        return CeleryThreads(processes, strategy)
    if contender in ("billiard", "multiprocessing"):
        return PlainPool(contender, processes)
    raise SystemExit(f"unknown contender {contender}")


def throughput(args):
    pool = make(args.contender, args.processes, args.strategy)
    # Every worker up and through one job before the clock starts, as poolbench waits for
    # did_start_ok.
    warm = Counter()
    for _ in range(args.processes):
        pool.apply(noop, (), warm)
    pool.wait(lambda: warm.done >= args.processes)

    counter = Counter()
    payload = b"x" * args.payload
    fn, fn_args = (echo, (payload,)) if args.payload else (noop, ())
    t0 = time.perf_counter()
    for _ in range(args.count):
        pool.apply(fn, fn_args, counter)
    pool.wait(lambda: counter.done >= args.count)
    seconds = time.perf_counter() - t0
    pool.close()
    return {"seconds": seconds, "jobs_per_s": args.count / seconds}


def start(args):
    t0 = time.perf_counter()
    pool = make(args.contender, args.processes, args.strategy)
    counter = Counter()
    # Until each worker has run one job: resubmit while some have not.
    while len(counter.pids) < args.processes:
        before = counter.done
        for _ in range(args.processes):
            pool.apply(whoami, (), counter)
        pool.wait(lambda: counter.done >= before + args.processes)
    seconds = time.perf_counter() - t0
    pool.close()
    return {"seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["throughput", "start"])
    parser.add_argument("contender")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--strategy", default="fair", choices=["fair", "fcfs"])
    parser.add_argument("--payload", type=int, default=0)
    args = parser.parse_args()
    result = throughput(args) if args.mode == "throughput" else start(args)
    result.update({"bench": args.mode, "contender": args.contender,
                   "processes": str(args.processes), "count": str(args.count),
                   "strategy": args.strategy, "payload": str(args.payload)})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
