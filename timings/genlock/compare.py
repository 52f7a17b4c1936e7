#!/usr/bin/env python3
"""Genlock against the machine's floor, in one sitting (issue 18, #3).

Alternates, ROUNDS times: the floor (../shared/tools/genlock_floor.c, 16 processes, 3000
triggers of 1000 us, one 76.8 KB copy each), the variants of genlock_variants.c that add one
thing a gridstitch camera or consumer does at a time, and `gridstitch run --transport shm-ring
--load io --sync genlock --frames 3000`. Prints the medians (spread and the last wake after the
trigger, p50 and p99, in microseconds) and writes every run to timings/genlock.csv.

usage: timings/genlock/compare.py [--rounds N] [--gridstitch PATH] [--floor PATH-TO-genlock_floor.c]
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VARIANTS = [[], ["scene"], ["scene", "slack"], ["scene", "slack", "each"], ["scene", "slack", "last"],
            ["scene", "slack", "yield"], ["scene", "slack", "each", "yield"]]
LINE = re.compile(r"spread p50 ([\d.]+) p99 ([\d.]+) us; last wake after trigger p50 ([\d.]+) p99 ([\d.]+) us")


def harness(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = LINE.search(out)
    if not match:
        sys.exit(f"unexpected output from {command[0]}: {out!r}")
    return [float(x) for x in match.groups()]


def gridstitch(binary):
    out = subprocess.run([binary, "run", "--transport", "shm-ring", "--load", "io", "--sync", "genlock",
                          "--frames", "3000", "--json", "--quiet", "--output", tempfile.gettempdir()],
                         check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    return [report["capture_spread_p50_us"], report["capture_spread_p99_us"],
            report["latency_p50_us"], report["latency_p99_us"]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gridstitch", default=os.path.join(ROOT, ".build/release/gridstitch"))
    parser.add_argument("--floor", default=os.path.join(ROOT, "../shared/tools/genlock_floor.c"))
    args = parser.parse_args()
    build = tempfile.mkdtemp(prefix="genlock-")
    floor = os.path.join(build, "genlock_floor")
    variants = os.path.join(build, "genlock_variants")
    subprocess.run(["cc", "-O2", "-o", floor, args.floor], check=True)
    subprocess.run(["cc", "-O2", "-o", variants, os.path.join(HERE, "genlock_variants.c")], check=True)
    names = ["floor"] + ["variant " + (" ".join(v) or "(as the floor)") for v in VARIANTS] + ["gridstitch shm-ring"]
    runs = {name: [] for name in names}
    for round in range(args.rounds):
        runs["floor"].append(harness([floor, "16", "3000", "1000", "76800"]))
        for v in VARIANTS:
            runs["variant " + (" ".join(v) or "(as the floor)")].append(harness([variants, "3000"] + v))
        runs["gridstitch shm-ring"].append(gridstitch(args.gridstitch))
        print(f"round {round + 1} of {args.rounds} done", file=sys.stderr)
    with open(os.path.join(ROOT, "timings/genlock.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["what", "round", "spread_p50_us", "spread_p99_us", "late_p50_us", "late_p99_us"])
        for name in names:
            for i, row in enumerate(runs[name]):
                out.writerow([name, i + 1] + [f"{x:.1f}" for x in row])
    base = [statistics.median(r[i] for r in runs["floor"]) for i in range(4)]
    print("| | spread p50 µs | spread p99 µs | last wake / latency p50 µs | p99 µs |")
    print("|---|---|---|---|---|")
    for name in names:
        m = [statistics.median(r[i] for r in runs[name]) for i in range(4)]
        print(f"| {name} | {m[0]:.0f} ({m[0] / base[0]:.2f}×) | {m[1]:.0f} ({m[1] / base[1]:.2f}×) | {m[2]:.0f} | {m[3]:.0f} |")


if __name__ == "__main__":
    main()
