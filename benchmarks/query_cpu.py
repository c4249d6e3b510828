#!/usr/bin/env python3
"""Per-query server CPU and wall time of the backfill-anchor queries against one argus binary and data dir.

Usage: python3 benchmarks/query_cpu.py BIN DATA_DIR [RUNS]  (DATA_DIR from `argus tsdb create-blocks-from openmetrics`
of the file compare.py generates); prints medians per query. For A/B runs of two binaries on the same block."""
import os, subprocess, sys, time, statistics, urllib.request, urllib.parse, json, socket
sys.path.insert(0, '/work/shared/bench')
from run_backfill_query import QUERIES
binary, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
cfg = '/tmp/qcpu-empty.yml'; open(cfg, 'w').write('global: {}\n')
p = subprocess.Popen([binary, 'serve', '--config.file', cfg, '--storage.tsdb.path', data, '--web.listen-address', f'127.0.0.1:{port}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f'http://127.0.0.1:{port}'
for _ in range(300):
    try:
        urllib.request.urlopen(base + '/-/ready', timeout=1); break
    except Exception: time.sleep(0.2)
def cpu():
    f = open(f'/proc/{p.pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
END = 1672617600 + 1439 * 15
def q(expr, rng):
    if rng is None:
        u = base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr, 'time': END})
    else:
        u = base + '/api/v1/query_range?' + urllib.parse.urlencode({'query': expr, 'start': END - rng, 'end': END, 'step': 60})
    b = json.load(urllib.request.urlopen(u, timeout=120)); assert b['status'] == 'success', b
tot = 0
try:
    for name, expr in QUERIES:
        for rname, rng in [('range_1h', 3600), ('range_all', 1439 * 15), ('instant', None)]:
            q(expr, rng)
            cs, ws = [], []
            for _ in range(runs):
                c0, w0 = cpu(), time.perf_counter(); q(expr, rng); ws.append(time.perf_counter() - w0); cs.append(cpu() - c0)
            tot += sum(cs)
            print(f'{name}@{rname:10s} cpu {statistics.median(cs):.3f} wall {statistics.median(ws):.4f}', flush=True)
    print(f'TOTAL server cpu {tot:.2f}')
finally:
    p.terminate(); p.wait()
