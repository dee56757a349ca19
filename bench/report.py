#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turns bench/results/*.json (written by run_all.py) into the markdown tables README shows.

    report.py [bench/results/latest.json]
"""
import json
import os
import sys

THROUGHPUT_COLUMNS = [
    ("poolcore-async", "poolcore Pool (poll)"), ("poolcore-async-qt", "poolcore Pool (Qt)"),
    ("poolcore-blocking", "poolcore BlockingPool"), ("celery-asynpool", "Celery AsynPool + Hub"),
    ("celery-threads", "Celery threads"), ("billiard", "billiard.Pool"),
    ("multiprocessing", "multiprocessing.Pool"),
]


def fmt(s, unit="", digits=0):
    if s is None:
        return "–"
    spread = f" ({s['min']:,.{digits}f}–{s['max']:,.{digits}f})" if s["n"] > 1 else ""
    return f"{s['median']:,.{digits}f}{unit}{spread}"


def ratio(a, b):
    if a is None or b is None or not b["median"]:
        return None
    return a["median"] / b["median"]


def markdown(results):
    S = results["summaries"]
    get = S.get
    lines = [f"Measured {results['when']} on {results['machine']['cpus']} CPUs "
             f"(kernel {results['machine']['kernel']}, {results['machine']['python']}); "
             f"median of {results['reps']} (min–max), contenders alternated; "
             f"{results['count']:,} jobs per throughput run."]
    for note in results.get("notes", []):
        lines.append(f"\n> {note}")

    limit_name = {"fair": "pingpong-one", "fcfs": "pingpong-pipelined"}
    for strategy in ("fair", "fcfs"):
        lines.append(f"\n**No-op throughput, `{strategy}`"
                     + (" with prefetch 4" if strategy == "fcfs" else "") + "** (jobs/s)\n")
        header = "| workers | " + " | ".join(t for _, t in THROUGHPUT_COLUMNS) + \
                 " | kernel limit | Pool ÷ Celery | Pool ÷ limit |"
        lines += [header, "|" + "---:|" * (len(THROUGHPUT_COLUMNS) + 4)]
        for n in (1, 2, 4, 8):
            def cell(c):
                # Peers without a strategy were measured once, under fair.
                s = get(f"throughput/{strategy}/{n}/{c}") or get(f"throughput/fair/{n}/{c}")
                return s
            if not get(f"throughput/{strategy}/{n}/poolcore-async"):
                continue
            limit = get(f"throughput/{strategy}/{n}/{limit_name[strategy]}")
            mine = get(f"throughput/{strategy}/{n}/poolcore-async")
            celery = get(f"throughput/{strategy}/{n}/celery-asynpool")
            r1, r2 = ratio(mine, celery), ratio(mine, limit)
            lines.append(f"| {n} | " + " | ".join(fmt(cell(c)) for c, _ in THROUGHPUT_COLUMNS)
                         + f" | {fmt(limit)} | "
                         + (f"{r1:.1f}×" if r1 else "–") + " | "
                         + (f"{r2:.0%}" if r2 else "–") + " |")

    lines.append("\n**Echo, 2 workers, fair** (jobs/s)\n")
    echo_cols = [c for c in ("poolcore-async", "poolcore-blocking", "celery-asynpool",
                             "billiard", "multiprocessing") if get(f"echo/1024/{c}")]
    lines += ["| payload | " + " | ".join(echo_cols) + " |", "|" + "---:|" * (len(echo_cols) + 1)]
    for payload, label in ((1024, "1 KiB"), (65536, "64 KiB"), (1 << 20, "1 MiB")):
        lines.append(f"| {label} | " + " | ".join(fmt(get(f"echo/{payload}/{c}"))
                                                 for c in echo_cols) + " |")

    lines.append("\n**Start: N workers up and each through one job** (ms)\n")
    start_cols = [c for c in ("poolcore/fork", "poolcore/forkserver", "poolcore/spawn",
                              "celery-asynpool", "billiard", "multiprocessing")
                  if any(k.startswith("start/") and k.endswith("/" + c) for k in S)]
    lines += ["| workers | " + " | ".join(start_cols) + " |", "|" + "---:|" * (len(start_cols) + 1)]
    for n in (2, 8, 32):
        if not get(f"start/{n}/poolcore/fork"):
            continue
        lines.append(f"| {n} | " + " | ".join(fmt(get(f"start/{n}/{c}"), digits=1)
                                              for c in start_cols) + " |")

    lines.append("\n**Restart 8 workers until every new one has run a job** (ms) and **memory at "
                 "8 idle workers** (KiB, from smaps_rollup)\n")
    lines += ["| start method | restart | worker PSS | worker private dirty | parent PSS |",
              "|---|---:|---:|---:|---:|"]
    for m in ("fork", "forkserver", "spawn"):
        lines.append(f"| {m} | {fmt(get(f'restart/8/poolcore/{m}'), digits=1)} | "
                     f"{fmt(get(f'memory/{m}/worker_pss_kib'))} | "
                     f"{fmt(get(f'memory/{m}/worker_private_dirty_kib'))} | "
                     f"{fmt(get(f'memory/{m}/parent_pss_kib'))} |")

    ins = results.get("instructions_per_job_parent") or {}
    if ins:
        lines.append("\n**Dispatch cost in the parent** (callgrind, instructions per no-op job, "
                     "2 workers): " + ", ".join(f"`{k}` {v:,.0f}" for k, v in ins.items()))

    lines.append("\n**The bars** (issue 4)\n")
    lines += ["| bar | measured | |", "|---|---|---|"]

    def bar(text, value, ok, shown):
        if value is None:
            lines.append(f"| {text} | not measured | – |")
        else:
            lines.append(f"| {text} | {shown} | {'met' if ok else 'missed'} |")

    fair2, fcfs2 = get("throughput/fair/2/poolcore-async"), get("throughput/fcfs/2/poolcore-async")
    r = ratio(fair2, get("throughput/fair/2/celery-asynpool"))
    bar("fair, 2 workers ≥ 2.5× Celery AsynPool", r, r and r >= 2.5, f"{r:.1f}×" if r else "")
    r = ratio(fair2, get("throughput/fair/2/pingpong-one"))
    bar("fair, 2 workers ≥ 90 % of one-in-flight ping-pong", r, r and r >= 0.9,
        f"{r:.0%}" if r else "")
    r = ratio(fcfs2, get("throughput/fcfs/2/celery-asynpool"))
    bar("fcfs + prefetch, 2 workers ≥ 20× Celery AsynPool (fcfs)", r, r and r >= 20,
        f"{r:.1f}×" if r else "")
    r = ratio(fcfs2, get("throughput/fcfs/2/pingpong-pipelined"))
    bar("fcfs + prefetch, 2 workers ≥ 50 % of pipelined ping-pong", r, r and r >= 0.5,
        f"{r:.0%}" if r else "")
    r = ratio(get("start/8/poolcore/forkserver"), get("start/8/celery-asynpool"))
    bar("8 workers up and through one job < ⅓ of Celery's time (forkserver)", r, r and r < 1 / 3,
        f"{r:.2f} of Celery's" if r else "")
    s = get("restart/8/poolcore/forkserver")
    bar("restart of 8 workers < 50 ms (forkserver)", s, s and s["median"] < 50,
        f"{s['median']:.1f} ms" if s else "")
    s = get("memory/forkserver/worker_pss_kib")
    bar("idle worker PSS < 1 MiB (forkserver)", s, s and s["median"] < 1024,
        f"{s['median']:.0f} KiB" if s else "")
    return "\n".join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              "results", "latest.json")
    with open(path) as f:
        print(markdown(json.load(f)))


if __name__ == "__main__":
    main()
