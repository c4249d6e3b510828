#!/usr/bin/env python3
"""Interleaved A/B of the backfill-anchor queries on two argus binaries, the way compare.py asks them
(requests.Session, keep-alive), so client overhead and machine noise hit both sides alike.

Usage: python3 benchmarks/query_ab.py BIN_A BIN_B BLOCK_DIR [RUNS] [FILTER]
BLOCK_DIR holds the block(s) of `argus tsdb create-blocks-from openmetrics` on compare.py's file;
each server gets its own copy. Prints per-query medians in ms and B/A, then the geomean ratio."""
import math, statistics, sys, time
import requests
from argus_server import QUERIES, RANGES, query, start, stop


def main():
    a, b, src = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 9
    filt = sys.argv[5] if len(sys.argv) > 5 else ''
    servers = [start(a, src), start(b, src)]
    sess = [requests.Session(), requests.Session()]
    q = lambda i, expr, rng: query(sess[i], servers[i][1], expr, rng)
    logs = []
    try:
        for name, expr in QUERIES:
            for rname, rng in RANGES:
                key = f'{name}@{rname}'
                if filt and filt not in key: continue
                q(0, expr, rng); q(1, expr, rng)
                ts = [[], []]
                for k in range(runs):
                    for i in ((0, 1) if k % 2 == 0 else (1, 0)):
                        t0 = time.perf_counter(); q(i, expr, rng); ts[i].append(time.perf_counter() - t0)
                ma, mb = statistics.median(ts[0]), statistics.median(ts[1])
                logs.append(math.log(mb / ma))
                print(f'{key:45s} A {ma*1e3:9.2f} ms  B {mb*1e3:9.2f} ms  B/A {mb/ma:5.2f}', flush=True)
        print(f'geomean B/A {math.exp(sum(logs)/len(logs)):.3f} over {len(logs)} queries')
    finally:
        for s in servers:
            stop(s)


main()
