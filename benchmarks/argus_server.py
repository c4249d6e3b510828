"""Shared by query_ab.py and query_cpu.py: an argus server on a copy of a block dir, and the
backfill-anchor queries asked the way compare.py asks them (requests.Session, keep-alive)."""
import os, shutil, socket, subprocess, sys, tempfile, time
import requests
sys.path.insert(0, '/work/shared/bench')
from run_backfill_query import QUERIES  # noqa: E402,F401  (re-exported)

# compare.py's data: 1,440 samples at 15 s from 2023-01-01; queries end at the last one.
END = 1672617600 + 1439 * 15
RANGES = [('range_1h', 3600), ('range_all', 1439 * 15), ('instant', None)]


def start(binary, src):
    """Starts `binary serve` on a private copy of the blocks in `src`; returns (proc, base_url, dir)."""
    d = tempfile.mkdtemp(prefix='argus-q-')
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


def stop(server):
    p, _, d = server
    p.terminate(); p.wait(); shutil.rmtree(d, ignore_errors=True)


def query(sess, base, expr, rng):
    """One instant (rng None) or range query (rng seconds back from END, 60 s step); raises unless success."""
    if rng is None:
        r = sess.get(base + '/api/v1/query', params={'query': expr, 'time': END}, timeout=120)
    else:
        r = sess.get(base + '/api/v1/query_range', params={'query': expr, 'start': END - rng, 'end': END, 'step': 60}, timeout=120)
    r.raise_for_status()
    b = r.json()
    assert b['status'] == 'success', b
