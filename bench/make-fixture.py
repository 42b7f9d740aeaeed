#!/usr/bin/env python3
"""Builds the benchmark's raw fixture: a sparse file of SIZE bytes holding
~30% random data in scattered 1 MiB runs, ~8% text (1 MiB runs of .NET XML docs or
any text corpus), ~5% written zeros (allocated in the raw file), the rest holes.
The layout depends only on --seed and the data-run count (not on SIZE), so a 32 GiB
disk "with the same data" spreads the same runs over a larger address space.
Also writes a layout file listing the zero runs (for qemu-io on VMDK copies)."""
import argparse, glob, os, random

MiB = 1 << 20
p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--size-gib", type=int, default=4)
p.add_argument("--data-gib", type=int, default=4, help="the data amounts are computed for a disk of this size")
p.add_argument("--size-mib", type=int, default=0, help="the size in MiB instead (data computed for that size unless --data-mib)")
p.add_argument("--data-mib", type=int, default=0)
p.add_argument("--seed", type=int, default=4242)
p.add_argument("--zeros-list", default=None)
a = p.parse_args()

rng = random.Random(a.seed)
size_mib = a.size_mib or a.size_gib * 1024
data_mib = a.data_mib or (a.size_mib if a.size_mib else a.data_gib * 1024)
runs_total = data_mib                   # 1 MiB slots of the reference disk
n_random = int(runs_total * 0.30)
n_text = int(runs_total * 0.08)
n_zero = int(runs_total * 0.05)
slots = rng.sample(range(runs_total), n_random + n_text + n_zero)
scale = size_mib // data_mib            # spread over a bigger disk: same runs, same order
kinds = ["r"] * n_random + ["t"] * n_text + ["z"] * n_zero

corpus = b""
for f in sorted(glob.glob("/usr/share/dotnet/packs/Microsoft.NETCore.App.Ref/*/ref/net*/*.xml")) + sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        corpus += open(f, "rb").read()
    except OSError:
        pass
    if len(corpus) > 64 * MiB:
        break
if len(corpus) < 2 * MiB:
    corpus = (b"The quick brown fox jumps over the lazy dog. %d\n" * 1) * 50000

zeros = []
with open(a.out, "wb") as f:
    f.truncate(size_mib * MiB)
    for slot, kind in zip(slots, kinds):
        off = slot * scale * MiB
        f.seek(off)
        if kind == "r":
            f.write(rng.randbytes(MiB))
        elif kind == "t":
            start = rng.randrange(0, len(corpus) - MiB)
            f.write(corpus[start:start + MiB])
        else:
            f.write(bytes(MiB))
            zeros.append(off)
if a.zeros_list:
    with open(a.zeros_list, "w") as z:
        z.write("\n".join(str(o) for o in sorted(zeros)) + "\n")
print(f"{a.out}: {size_mib} MiB virtual, {n_random} MiB random, {n_text} MiB text, {n_zero} MiB written zeros")
