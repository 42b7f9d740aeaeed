#!/usr/bin/env python3
"""Summarizes bench/run.sh results: per (target, case, mode, tool) the medians over the pairs (pair 0 = warm-up,
excluded) of the wall time and of the CPU time (user + sys), the ratios ours/qemu-img of both, throughput, peak RSS,
output size, and (to disk) the `sync` that followed each run. With a third argument, the four-at-once table too.
Usage: summarize.py results.tsv VIRTUAL_SIZE_BYTES [four.tsv]
Older results.tsv files (no target column, no CPU columns) are read as target "disk"."""
import csv, statistics, sys
from collections import defaultdict

path, vsize = sys.argv[1], int(sys.argv[2])
four_path = sys.argv[3] if len(sys.argv) > 3 else None


def cpu(r):
    return float(r["user_s"]) + float(r["sys_s"])


def med(rows, f):
    return statistics.median(f(r) for r in rows)


rows = list(csv.DictReader(open(path), delimiter="\t"))
by = defaultdict(list)
for r in rows:
    if r["pair"] != "0":
        by[(r.get("target", "disk"), r["case"], r["mode"], r["tool"])].append(r)

print("| target | input | mode | ours wall s | qemu wall s | **wall ratio** | ours CPU s | qemu CPU s | **CPU ratio** "
      "| ours user/sys | qemu user/sys | sync after s (ours/qemu) | ours GiB/s | ours / qemu peak RSS MiB | size diff |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (target, case, mode, tool) in sorted({k for k in by if k[3] == "ours"}):
    o = by[(target, case, mode, "ours")]
    q = by.get((target, case, mode, "qemu"), [])
    ow, oc = med(o, lambda r: float(r["wall_s"])), med(o, cpu)
    ou, os_ = med(o, lambda r: float(r["user_s"])), med(o, lambda r: float(r["sys_s"]))
    orss = max(int(r["maxrss_kb"]) for r in o) / 1024
    osz = int(o[-1]["out_bytes"])
    osync = med(o, lambda r: float(r.get("sync_s") or 0))
    if q:
        qw, qc = med(q, lambda r: float(r["wall_s"])), med(q, cpu)
        qu, qs = med(q, lambda r: float(r["user_s"])), med(q, lambda r: float(r["sys_s"]))
        qrss = max(int(r["maxrss_kb"]) for r in q) / 1024
        qsz = int(q[-1]["out_bytes"])
        qsync = med(q, lambda r: float(r.get("sync_s") or 0))
        sync = f"{osync:.2f} / {qsync:.2f}" if target == "disk" else "-"
        print(f"| {target} | {case} | {mode} | {ow:.2f} | {qw:.2f} | **{ow/qw:.2f}** | {oc:.2f} | {qc:.2f} | **{oc/qc:.2f}** "
              f"| {ou:.2f}/{os_:.2f} | {qu:.2f}/{qs:.2f} | {sync} | {vsize/2**30/ow:.2f} | {orss:.0f} / {qrss:.0f} "
              f"| {100*(osz-qsz)/qsz:+.2f}% |")
    else:
        print(f"| {target} | {case} | {mode} | {ow:.2f} | - | - | {oc:.2f} | - | - | {ou:.2f}/{os_:.2f} | - | - "
              f"| {vsize/2**30/ow:.2f} | {orss:.0f} / - | - |")
print()
print("per run (pair: wall s / CPU s; the first of a pair ran first):")
for key in sorted(by):
    runs = sorted(by[key], key=lambda r: int(r["pair"]))
    print(" ", *key, "  ".join(f"{r['pair']}{'*' if r.get('order') == '1' else ''}: {r['wall_s']}/{cpu(r):.2f}" for r in runs))

if four_path:
    four = list(csv.DictReader(open(four_path), delimiter="\t"))
    if four:
        g = defaultdict(list)
        for r in four:
            g[(r["target"], r["case"], r["mode"], r["tool"])].append(r)
        print()
        print("| target | input | N at once | ours wall s (all N) | qemu wall s | **wall ratio** | ours CPU s (sum) | qemu CPU s (sum) "
              "| **CPU ratio** | ours / qemu peak RSS MiB (one) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (target, case, mode, tool) in sorted({k for k in g if k[3] == "ours"}):
            o, q = g[(target, case, mode, "ours")], g.get((target, case, mode, "qemu"), [])
            if not q:
                continue
            ow, qw = med(o, lambda r: float(r["wall_s"])), med(q, lambda r: float(r["wall_s"]))
            oc, qc = med(o, lambda r: float(r["cpu_s"])), med(q, lambda r: float(r["cpu_s"]))
            orss = max(int(r["maxrss_kb"]) for r in o) / 1024
            qrss = max(int(r["maxrss_kb"]) for r in q) / 1024
            print(f"| {target} | {case} {mode} | {o[0]['n']} | {ow:.2f} | {qw:.2f} | **{ow/qw:.2f}** | {oc:.2f} | {qc:.2f} "
                  f"| **{oc/qc:.2f}** | {orss:.0f} / {qrss:.0f} |")
        print()
        print("per round (wall s / CPU s):")
        for key in sorted(g):
            print(" ", *key, "  ".join(f"{r['round']}: {r['wall_s']}/{r['cpu_s']}" for r in g[key]))
