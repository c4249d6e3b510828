#!/usr/bin/env python3
"""Notification throughput and memory of the alert manager, side by side.

Starts each system (argus serve with --alertmanager.config.file, and Debian's
prometheus-alertmanager 0.25) with the same alertmanager.yml: every alert
grouped by its `group` label, group_wait 0s, a short group_interval and an
even shorter repeat_interval (so every group flush sends), one webhook to a
local counting HTTP server. It POSTs N alerts in G groups to /api/v2/alerts,
re-POSTs them every --repost seconds so they stay active (resolve_timeout 1m),
waits --warmup, then counts the webhook requests (notifications) and the
alerts they carry over --window, sampling the server's VmRSS every second.
Rounds alternate the order of the systems; the table shows per-round figures
and the median of the rounds. Everything is on 127.0.0.1; every process the
script starts is stopped by its PID, temp dirs are removed.

    python3 benchmarks/am_notify.py --argus-bin target/release/argus
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

AM_YML = """\
global:
  resolve_timeout: 1m
route:
  receiver: hook
  group_by: [group]
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: {repeat_interval}
receivers:
- name: hook
  webhook_configs:
  - url: http://127.0.0.1:{sink_port}/hook
    send_resolved: false
"""

PROM_YML = "global:\n  scrape_interval: 1h\nscrape_configs: []\n"


def log(*a):
    print("[%s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------- the sink ---
class Sink:
    """A minimal HTTP/1.1 keep-alive server counting POSTs and the alerts in them."""

    def __init__(self):
        self.requests = 0
        self.alerts = 0
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    async def _conn(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:].strip())
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                self.alerts += body.count(b'"fingerprint"')
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        srv = self.loop.run_until_complete(asyncio.start_server(self._conn, "127.0.0.1", self.port, limit=1 << 24))
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            srv.close()

    def start(self):
        self.thread.start()
        self.ready.wait(10)

    def snapshot(self):
        return self.requests, self.alerts


# ------------------------------------------------------------ processes ---
def vmrss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def wait_ready(url, proc, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("not ready: %s" % url)


def start_system(name, args, dirpath, am_yml):
    cfg = os.path.join(dirpath, "am.yml")
    with open(cfg, "w") as f:
        f.write(am_yml)
    api_port = free_port()
    logf = open(os.path.join(dirpath, "server.log"), "w")
    if name == "alertmanager":
        cmd = [args.am_bin, "--config.file=" + cfg, "--storage.path=" + os.path.join(dirpath, "data"),
               "--web.listen-address=127.0.0.1:%d" % api_port, "--cluster.listen-address=", "--log.level=warn"]
        ready = "http://127.0.0.1:%d/-/ready" % api_port
    else:
        prom = os.path.join(dirpath, "prometheus.yml")
        with open(prom, "w") as f:
            f.write(PROM_YML)
        web_port = free_port()
        cmd = [args.argus_bin, "serve", "--config.file=" + prom, "--storage.tsdb.path=" + os.path.join(dirpath, "data"),
               "--web.listen-address=127.0.0.1:%d" % web_port, "--alertmanager.config.file=" + cfg,
               "--alertmanager.listen-address=127.0.0.1:%d" % api_port]
        ready = "http://127.0.0.1:%d/-/ready" % web_port
    env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(ready, proc)
    except Exception:
        stop(proc)
        raise
    return proc, "http://127.0.0.1:%d/api/v2/alerts" % api_port, cmd


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def alerts_payload(n, groups, batch):
    """n alerts spread evenly over `groups` groups, in POST-sized batches."""
    out, cur = [], []
    for i in range(n):
        cur.append({
            "labels": {"alertname": "BenchAlert", "group": "g%04d" % (i % groups), "instance": "i%05d" % i,
                       "severity": "warning"},
            "annotations": {"summary": "benchmark alert %d" % i},
            "generatorURL": "http://bench/graph",
        })
        if len(cur) == batch:
            out.append(json.dumps(cur).encode())
            cur = []
    if cur:
        out.append(json.dumps(cur).encode())
    return out


def post_all(url, bodies):
    for b in bodies:
        req = urllib.request.Request(url, data=b, headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()


def run_one(name, args, sink):
    dirpath = tempfile.mkdtemp(prefix="bench-am-%s-" % name)
    am_yml = AM_YML.format(group_wait=args.group_wait, group_interval=args.group_interval,
                           repeat_interval=args.repeat_interval, sink_port=sink.port)
    proc = None
    try:
        proc, url, cmd = start_system(name, args, dirpath, am_yml)
        bodies = alerts_payload(args.alerts, args.groups, 1000)
        t0 = time.time()
        try:
            post_all(url, bodies)
        except OSError as e:
            # A server too busy to take the alerts within the timeout is a result too.
            log(name, "initial POST failed:", e)
            return {"system": name, "notifications_per_s": 0.0, "alerts_notified_per_s": 0.0,
                    "rss_mib_median": None, "rss_mib_max": None, "post_seconds": None,
                    "window_s": 0, "alive": proc.poll() is None, "error": "POST /api/v2/alerts: %s" % e}
        post_s = time.time() - t0
        stop_repost = threading.Event()

        def repost():
            while not stop_repost.wait(args.repost):
                try:
                    post_all(url, bodies)
                except OSError as e:
                    log(name, "re-POST failed:", e)

        th = threading.Thread(target=repost, daemon=True)
        th.start()
        time.sleep(args.warmup)
        r0, a0 = sink.snapshot()
        w0 = time.time()
        rss = []
        while time.time() - w0 < args.window:
            time.sleep(1)
            v = vmrss(proc.pid)
            if v:
                rss.append(v)
        r1, a1 = sink.snapshot()
        secs = time.time() - w0
        stop_repost.set()
        th.join(30)
        alive = proc.poll() is None
        return {
            "system": name,
            "notifications_per_s": round((r1 - r0) / secs, 1),
            "alerts_notified_per_s": round((a1 - a0) / secs, 1),
            "rss_mib_median": round(statistics.median(rss) / 2**20, 1) if rss else None,
            "rss_mib_max": round(max(rss) / 2**20, 1) if rss else None,
            "post_seconds": round(post_s, 2),
            "window_s": round(secs, 1),
            "alive": alive,
        }
    finally:
        if proc is not None:
            stop(proc)
        if args.keep:
            log("kept", dirpath)
        else:
            shutil.rmtree(dirpath, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--argus-bin", default=os.environ.get("ARGUS_BIN", "argus"))
    p.add_argument("--am-bin", default=os.environ.get("ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager"))
    p.add_argument("--systems", default="alertmanager,argus")
    p.add_argument("--alerts", type=int, default=10000)
    p.add_argument("--groups", type=int, default=1000)
    p.add_argument("--group-wait", default="0s")
    p.add_argument("--group-interval", default="1s")
    p.add_argument("--repeat-interval", default="100ms")
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--window", type=float, default=30)
    p.add_argument("--repost", type=float, default=20, help="seconds between re-POSTs (resolve_timeout is 1m)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--json", help="append each result as a JSON line to this file")
    args = p.parse_args()
    if shutil.which(args.argus_bin) is None and not os.path.exists(args.argus_bin):
        sys.exit("argus binary not found: %s" % args.argus_bin)
    sink = Sink()
    sink.start()
    systems = args.systems.split(",")
    results = {s: [] for s in systems}
    for r in range(args.rounds):
        order = systems if r % 2 == 0 else list(reversed(systems))
        for s in order:
            log("round %d: %s" % (r + 1, s))
            res = run_one(s, args, sink)
            res["round"] = r + 1
            log(json.dumps(res))
            results[s].append(res)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(res) + "\n")
    cap = args.groups / (float(args.group_interval.rstrip("s").rstrip("m")) / (1000 if args.group_interval.endswith("ms") else 1))
    print("\n%d alerts in %d groups, group_wait %s, group_interval %s, repeat_interval %s "
          "(ceiling %.0f notifications/s), window %gs after %gs warm-up, %d rounds\n"
          % (args.alerts, args.groups, args.group_wait, args.group_interval, args.repeat_interval, cap,
             args.window, args.warmup, args.rounds))
    print("| system | notifications/s (median) | per round | alerts notified/s (median) | VmRSS MiB (median) | per round |")
    print("|---|---|---|---|---|---|")
    for s in systems:
        rs = results[s]
        nps = [x["notifications_per_s"] for x in rs]
        aps = [x["alerts_notified_per_s"] for x in rs]
        rss = [x["rss_mib_median"] for x in rs if x["rss_mib_median"] is not None]
        print("| %s | %.1f | %s | %.1f | %s | %s |" % (
            s, statistics.median(nps), ", ".join("%.1f" % x for x in nps), statistics.median(aps),
            "%.1f" % statistics.median(rss) if rss else "n/a", ", ".join("%.1f" % x for x in rss)))


if __name__ == "__main__":
    main()
