#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each start method costs, through the headless interface: the time from exec to exit of
`poolscope --headless` with N workers each running one job (median of REPS, methods alternated),
and the memory of idle workers (PSS and private dirty, from /proc/PID/smaps_rollup, Linux).

    python3 bench/start_methods.py build/app/poolscope [--reps 7]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

METHODS = ["fork", "forkserver", "spawn"]


def smaps(pid):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                values[m.group(1)] = int(m.group(2))
    return values


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                m = re.search(r"^PPid:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m and int(m.group(1)) == pid:
            found.append(int(entry))
    return found


def start_times(exe, reps):
    print("| workers | " + " | ".join(METHODS) + " |")
    print("|--------:|" + "|".join("-----:" for _ in METHODS) + "|")
    for n in (2, 8, 32):
        times = {m: [] for m in METHODS}
        for _ in range(reps):
            for m in METHODS:  # alternated, so drift hits every method alike
                t0 = time.perf_counter()
                subprocess.run([exe, "--headless", "--processes", str(n), "--count", str(n),
                                "--task", "sleep=1", "--start-method", m, "--json"],
                               stdout=subprocess.DEVNULL, check=True)
                times[m].append((time.perf_counter() - t0) * 1000)
        print(f"| {n} | " + " | ".join(f"{statistics.median(times[m]):.0f} ms" for m in METHODS)
              + " |")


def memory(exe):
    rows = {}
    for m in METHODS:
        proc = subprocess.Popen([exe, "--headless", "--processes", "8", "--task", "sleep=2500",
                                 "--count", "8", "--start-method", m, "--json"],
                                stdout=subprocess.DEVNULL)
        time.sleep(1.5)  # every worker up and sleeping in its job
        workers, server = [], None
        for child in children(proc.pid):
            grandchildren = children(child)
            if grandchildren:  # the forkserver: its children are the workers
                server = smaps(child)
                workers += grandchildren
            else:
                workers.append(child)
        readings = [smaps(w) for w in workers]
        rows[m] = (statistics.mean(r["Pss"] for r in readings),
                   statistics.mean(r["Private_Dirty"] for r in readings),
                   smaps(proc.pid)["Pss"], server["Pss"] if server else None, len(readings))
        proc.wait()
    print()
    print("| memory per idle worker (8 workers) | " + " | ".join(METHODS) + " |")
    print("|---|" + "|".join("-----:" for _ in METHODS) + "|")
    print("| PSS | " + " | ".join(f"{rows[m][0]:.0f} KiB" for m in METHODS) + " |")
    print("| private dirty | " + " | ".join(f"{rows[m][1]:.0f} KiB" for m in METHODS) + " |")
    print("| parent PSS | " + " | ".join(f"{rows[m][2]} KiB" for m in METHODS) + " |")
    if rows["forkserver"][3] is not None:
        print(f"\nforkserver process PSS: {rows['forkserver'][3]} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("poolscope", help="path to the poolscope executable")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    if not os.access(args.poolscope, os.X_OK):
        sys.exit(f"{args.poolscope}: not an executable; build first (bash scripts/dev.sh build)")
    start_times(args.poolscope, args.reps)
    memory(args.poolscope)


if __name__ == "__main__":
    main()
