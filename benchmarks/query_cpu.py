#!/usr/bin/env python3
"""Per-query server CPU and wall time of the backfill-anchor queries against one argus binary and block dir.

Usage: python3 benchmarks/query_cpu.py BIN BLOCK_DIR [RUNS]  (BLOCK_DIR from `argus tsdb create-blocks-from openmetrics`
of the file compare.py generates; the server runs on a copy); prints medians per query."""
import os, statistics, sys, time
import requests
from argus_server import QUERIES, RANGES, query, start, stop

binary, src, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5
server = start(binary, src)
sess = requests.Session()


def cpu():
    f = open(f'/proc/{server[0].pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')


tot = 0
try:
    for name, expr in QUERIES:
        for rname, rng in RANGES:
            query(sess, server[1], expr, rng)
            cs, ws = [], []
            for _ in range(runs):
                c0, w0 = cpu(), time.perf_counter(); query(sess, server[1], expr, rng)
                ws.append(time.perf_counter() - w0); cs.append(cpu() - c0)
            tot += sum(cs)
            print(f'{name}@{rname:10s} cpu {statistics.median(cs):.3f} wall {statistics.median(ws):.4f}', flush=True)
    print(f'TOTAL server cpu {tot:.2f}')
finally:
    stop(server)
