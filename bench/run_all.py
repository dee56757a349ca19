#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs every benchmark of bench/README.md in one invocation, alternating the contenders within
each repetition, and reports median, min and max of each, ratios to the peers and to the
ping-pong limit, and the issue's bars met or missed. Stdlib only; called by bench/run.sh.

    run_all.py --build BUILD_DIR [--reps N] [--quick] [--json PATH] [--no-peers]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ["celery-asynpool", "celery-threads", "billiard", "multiprocessing"]
POOLCORE = ["poolcore-async", "poolcore-async-qt", "poolcore-blocking"]
METHODS = ["fork", "forkserver", "spawn"]


class Runner:
    def __init__(self, build, python, peers):
        self.poolbench = os.path.join(build, "bench", "poolbench")
        self.pingpong = os.path.join(build, "bench", "pingpong")
        self.worker_program = os.path.join(build, "app", "poolscope-worker")
        self.python = python
        self.peers = peers
        self.samples = {}  # key -> list of values
        self.notes = []

    def record(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def run_json(self, command, timeout=900):
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {out.stderr.strip()[-400:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def throughput(self, contender, processes, strategy, count, payload=0):
        if contender.startswith("poolcore-"):
            pool = {"poolcore-async": "async", "poolcore-async-qt": "async-qt",
                    "poolcore-blocking": "blocking"}[contender]
            cmd = [self.poolbench, "throughput", "--pool", pool, "--processes", str(processes),
                   "--strategy", strategy, "--count", str(count)]
            if payload:
                cmd += ["--task", "echo", "--payload", str(payload)]
        elif contender.startswith("pingpong-"):
            cmd = [self.pingpong, "--processes", str(processes), "--count", str(count),
                   "--mode", contender.split("-", 1)[1], "--window", "4"]
        else:
            cmd = [self.python, os.path.join(HERE, "peers", "python_pools.py"), "throughput",
                   contender, "--processes", str(processes), "--count", str(count),
                   "--strategy", strategy, "--payload", str(payload)]
        return self.run_json(cmd)["jobs_per_s"]

    def method_args(self, method):
        # Spawned workers run as poolscope-worker, as the app's do, when the build has it.
        args = ["--start-method", method]
        if method == "spawn" and os.access(self.worker_program, os.X_OK):
            args += ["--worker-program", self.worker_program]
        return args

    def start(self, contender, processes):
        if contender.startswith("poolcore/"):
            method = contender.split("/")[1]
            cmd = [self.poolbench, "start", "--processes", str(processes)] + self.method_args(method)
        else:
            cmd = [self.python, os.path.join(HERE, "peers", "python_pools.py"), "start",
                   contender, "--processes", str(processes)]
        return self.run_json(cmd)["seconds"] * 1000


def peers_available(python):
    probe = subprocess.run([python, "-c", "import celery, billiard, kombu"], capture_output=True)
    return probe.returncode == 0


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def callgrind_instructions_per_job(runner, strategy):
    """Instructions the parent spends per job: the difference of two runs, so start-up cancels.
    Workers are forked, each with its own output file; the parent's is the lowest pid."""
    import glob
    import tempfile
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (20000, 40000):
            pattern = os.path.join(tmp, f"cg.{count}.%p")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={pattern}",
                            runner.poolbench, "throughput", "--pool", "async", "--processes", "2",
                            "--strategy", strategy, "--count", str(count), "--start-method",
                            "fork"], capture_output=True, check=True, timeout=900)
            files = sorted(glob.glob(os.path.join(tmp, f"cg.{count}.*")),
                           key=lambda f: int(f.rsplit(".", 1)[1]))
            with open(files[0]) as f:
                for line in f:
                    if line.startswith(("summary:", "totals:")):
                        totals[count] = int(line.split()[1])
                        break
    return (totals[40000] - totals[20000]) / 20000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one rep, 2 workers, small counts")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()

    peers = not args.no_peers and peers_available(args.python)
    runner = Runner(args.build, args.python, peers)
    if not peers:
        runner.notes.append("Python peers skipped: python3-celery / python3-billiard not "
                            "importable by " + args.python)
    reps = 1 if args.quick else args.reps
    workers = [2] if args.quick else [1, 2, 4, 8]
    count = 10000 if args.quick else 50000
    start_sizes = [8] if args.quick else [2, 8, 32]
    payloads = [(1024, 2000 if args.quick else 20000), (65536, 500 if args.quick else 5000),
                (1 << 20, 50 if args.quick else 500)]
    throughput_contenders = POOLCORE + (PEERS if peers else [])
    echo_contenders = ["poolcore-async", "poolcore-blocking"] + (
        ["celery-asynpool", "billiard", "multiprocessing"] if peers else [])
    start_contenders = [f"poolcore/{m}" for m in METHODS] + (
        ["celery-asynpool", "billiard", "multiprocessing"] if peers else [])

    began = time.time()
    for rep in range(reps):
        print(f"== repetition {rep + 1} of {reps}", file=sys.stderr, flush=True)
        for n in workers:
            for strategy in ("fair", "fcfs"):
                limit = "pingpong-one" if strategy == "fair" else "pingpong-pipelined"
                for contender in throughput_contenders + [limit]:
                    if strategy == "fcfs" and contender in ("celery-threads", "billiard",
                                                            "multiprocessing"):
                        continue  # no strategy: measured once, under fair
                    key = f"throughput/{strategy}/{n}/{contender}"
                    runner.record(key, runner.throughput(contender, n, strategy, count))
        for payload, payload_count in payloads:
            for contender in echo_contenders:
                key = f"echo/{payload}/{contender}"
                runner.record(key, runner.throughput(contender, 2, "fair", payload_count,
                                                     payload))
        for n in start_sizes:
            for contender in start_contenders:
                runner.record(f"start/{n}/{contender}", runner.start(contender, n))
        for method in METHODS:
            r = runner.run_json([runner.poolbench, "restart", "--processes", "8"] +
                                runner.method_args(method))
            runner.record(f"restart/8/poolcore/{method}", r["seconds"] * 1000)
        for method in METHODS:
            r = runner.run_json([runner.poolbench, "memory", "--processes", "8"] +
                                runner.method_args(method))
            for k in ("worker_pss_kib", "worker_private_dirty_kib", "parent_pss_kib",
                      "parent_private_dirty_kib"):
                runner.record(f"memory/{method}/{k}", r[k])

    instructions = {}
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode == 0:
        for strategy in ("fair", "fcfs"):
            instructions[strategy] = callgrind_instructions_per_job(runner, strategy)
    else:
        runner.notes.append("valgrind missing: no instruction counts")

    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": subprocess.run([args.python, "--version"], capture_output=True,
                                             text=True).stdout.strip()},
        "reps": reps, "count": count, "seconds": round(time.time() - began, 1),
        "summaries": {k: summary(v) for k, v in runner.samples.items()},
        "instructions_per_job_parent": instructions,
        "notes": runner.notes,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    sys.path.insert(0, HERE)
    import report
    print(report.markdown(results))
    print(f"\n(JSON: {args.json})")


if __name__ == "__main__":
    main()
