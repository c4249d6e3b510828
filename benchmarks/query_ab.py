#!/usr/bin/env python3
"""Interleaved A/B of the backfill-anchor queries on two argus binaries, the way compare.py asks them
(requests.Session, keep-alive), so client overhead and machine noise hit both sides alike.

Usage: python3 benchmarks/query_ab.py BIN_A BIN_B BLOCK_DIR [RUNS] [FILTER]
BLOCK_DIR holds the block(s) of `argus tsdb create-blocks-from openmetrics` on compare.py's file;
each server gets its own copy. Prints per-query medians in ms and B/A, then the geomean ratio."""
import math, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import requests
sys.path.insert(0, '/work/shared/bench')
from run_backfill_query import QUERIES

def start(binary, src):
    d = tempfile.mkdtemp(prefix='qab-')
    for e in os.listdir(src):
        if os.path.isdir(os.path.join(src, e)) and len(e) == 26:
            shutil.copytree(os.path.join(src, e), os.path.join(d, e))
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
    cfg = os.path.join(d, 'empty.yml'); open(cfg, 'w').write('global: {}\n')
    p = subprocess.Popen([binary, 'serve', '--config.file', cfg, '--storage.tsdb.path', d,
                          '--web.listen-address', f'127.0.0.1:{port}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}'
    for _ in range(300):
        try:
            requests.get(base + '/-/ready', timeout=1).raise_for_status(); break
        except Exception: time.sleep(0.2)
    return p, base, d

def main():
    a, b, src = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 9
    filt = sys.argv[5] if len(sys.argv) > 5 else ''
    END = 1672617600 + 1439 * 15
    servers = [start(a, src), start(b, src)]
    sess = [requests.Session(), requests.Session()]
    def q(i, expr, rng):
        base = servers[i][1]
        if rng is None:
            r = sess[i].get(base + '/api/v1/query', params={'query': expr, 'time': END}, timeout=120)
        else:
            r = sess[i].get(base + '/api/v1/query_range', params={'query': expr, 'start': END - rng, 'end': END, 'step': 60}, timeout=120)
        r.raise_for_status(); r.json()
    logs = []
    try:
        for name, expr in QUERIES:
            for rname, rng in [('range_1h', 3600), ('range_all', 1439 * 15), ('instant', None)]:
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
        for p, _, d in servers:
            p.terminate(); p.wait(); shutil.rmtree(d, ignore_errors=True)

main()
