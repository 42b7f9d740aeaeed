#!/usr/bin/env python3
"""Summarizes bench/run.sh results.tsv: median wall time per (case, mode, tool) over the
pairs (pair 0 = warm-up, excluded), ratio ours/qemu-img, throughput, peak RSS, output size."""
import csv, statistics, sys
from collections import defaultdict

path, vsize = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(path), delimiter="\t"))
by = defaultdict(list)
for r in rows:
    if r["pair"] != "0":
        by[(r["case"], r["mode"], r["tool"])].append(r)

print("| input | mode | ours median s | qemu-img median s | ratio | ours GiB/s (virtual) | ours peak RSS MiB | qemu peak RSS MiB | ours size MiB | qemu size MiB | size diff |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (case, mode, tool) in sorted({k for k in by if k[2] == "ours"}):
    o = by[(case, mode, "ours")]
    q = by.get((case, mode, "qemu"), [])
    om = statistics.median(float(r["wall_s"]) for r in o)
    orss = max(int(r["maxrss_kb"]) for r in o) / 1024
    osz = int(o[-1]["out_bytes"]) / 2**20
    if q:
        qm = statistics.median(float(r["wall_s"]) for r in q)
        qrss = max(int(r["maxrss_kb"]) for r in q) / 1024
        qsz = int(q[-1]["out_bytes"]) / 2**20
        print(f"| {case} | {mode} | {om:.2f} | {qm:.2f} | {om/qm:.2f} | {vsize/2**30/om:.2f} | {orss:.0f} | {qrss:.0f} | {osz:.0f} | {qsz:.0f} | {100*(osz-qsz)/qsz:+.2f}% |")
    else:
        print(f"| {case} | {mode} | {om:.2f} | - | - | - | {orss:.0f} | - | {osz:.0f} | - | - |")
print()
print("raw rows (wall s per pair, ours vs qemu):")
for key in sorted(by):
    print(" ", *key, " ".join(r["wall_s"] for r in by[key]))
