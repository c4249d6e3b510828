#!/usr/bin/env python3
"""Dumps benchmark-shaped series for the chunkenc codec bench.

Uses the Target class of ../shared/bench/gen.py exactly as run_backfill_query.py
does (targets of 1000 series with `up`, 15 s step from 2023-01-02T00:00:00Z),
so value strings are identical; they are parsed with float() as any loader would.

Output: b"ARGUSRUN1", u32 series count, then per series: u8 kind length, kind
(ascii), u32 sample count, then count x (i64 t_ms, f64 v) little-endian.

usage: gen_runs.py OUT [--series 2000] [--steps 1440] [--spt 1000]
"""
import argparse
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "..", "shared", "bench"))
sys.path.insert(0, "/work/shared/bench")
import gen  # noqa: E402

START_TS = 1672617600
STEP_S = 15


def kind_of(k, name):
    if k[0] == "walk":
        return "gauge_dec" if k[6] is not None else "gauge_int"
    return {"bucket": "hist_bucket", "hsum": "hist_sum", "hcount": "hist_count",
            "counter": "counter", "const": "const"}[k[0]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=1440)
    ap.add_argument("--spt", type=int, default=1000)
    a = ap.parse_args()
    ntargets = max(1, -(-a.series // a.spt))
    base, extra = divmod(a.series, ntargets)
    sizes = [base + (1 if i < extra else 0) for i in range(ntargets)]
    ts = [(START_TS + n * STEP_S) * 1000 for n in range(a.steps)]
    with open(a.out, "wb") as f:
        f.write(b"ARGUSRUN1" + struct.pack("<I", a.series))
        for ti, n in enumerate(sizes):
            t = gen.Target(ti, n, include_up=True,
                           extra_labels=(("job", "bench"), ("instance", "target-%04d" % ti)))
            cache = {}
            for i, (name, _labels) in enumerate(t.series):
                kind = kind_of(t.kinds[i], name).encode()
                vals = [float(s) for s in t.trajectory(i, a.steps, cache)]
                f.write(struct.pack("<B", len(kind)) + kind + struct.pack("<I", a.steps))
                f.write(b"".join(struct.pack("<qd", tt, v) for tt, v in zip(ts, vals)))


if __name__ == "__main__":
    main()
