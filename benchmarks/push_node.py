#!/usr/bin/env python3
"""Issue 7's figures, side by side in one run on loopback:

- push throughput: sequential PUTs of one 100-series group over one
  keep-alive connection, to Debian's prometheus-pushgateway and to argus;
- node collector cost: server CPU milliseconds per GET of the host metrics,
  Debian's prometheus-node-exporter (/metrics) vs argus (/node/metrics).

Usage: python3 benchmarks/push_node.py [--argus target/release/argus] [--pushes 2000] [--scrapes 200] [--rounds 3]
Every process it starts is stopped by PID; data goes to a temp dir.
"""
import argparse, http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_http(port, path, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"port {port} not ready")


def body(n=100):
    lines = ["# TYPE batch_items_processed gauge"]
    lines += [f'batch_items_processed{{shard="s{i}"}} {i * 17}' for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def push_rate(port, count, payload):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    t = time.perf_counter()
    for _ in range(count):
        c.request("PUT", "/metrics/job/bench/instance/i1", body=payload, headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        r.read()
        if r.status not in (200, 202):
            raise SystemExit(f"push failed on port {port}: {r.status}")
    return count / (time.perf_counter() - t)


def scrape_cost_ms(pid, port, path, count):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c0 = cpu_seconds(pid)
    for _ in range(count):
        c.request("GET", path)
        c.getresponse().read()
    return (cpu_seconds(pid) - c0) * 1000 / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default="target/release/argus")
    ap.add_argument("--pushes", type=int, default=2000)
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-push-node-")
    procs = []
    try:
        pg, ar, ne = free_port(), free_port(), free_port()
        procs.append(subprocess.Popen(["/usr/bin/prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{pg}",
                                       f"--persistence.file={tmp}/pg.data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([a.argus, "serve", f"--web.listen-address=127.0.0.1:{ar}",
                                       f"--storage.tsdb.path={tmp}/argus"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["/usr/bin/prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_http(pg, "/-/ready"); wait_http(ar, "/-/ready"); wait_http(ne, "/metrics")
        payload = body()
        res = {"pushgateway_pushes_per_s": [], "argus_pushes_per_s": [], "node_exporter_cpu_ms": [], "argus_node_cpu_ms": []}
        for r in range(a.rounds):
            order = [("pushgateway_pushes_per_s", pg), ("argus_pushes_per_s", ar)]
            for name, port in (order if r % 2 == 0 else order[::-1]):
                res[name].append(push_rate(port, a.pushes, payload))
            order = [("node_exporter_cpu_ms", procs[2].pid, ne, "/metrics"), ("argus_node_cpu_ms", procs[1].pid, ar, "/node/metrics")]
            for name, pid, port, path in (order if r % 2 == 0 else order[::-1]):
                res[name].append(scrape_cost_ms(pid, port, path, a.scrapes))
        med = {k: round(statistics.median(v), 3) for k, v in res.items()}
        med["push_ratio_argus_over_pushgateway"] = round(med["argus_pushes_per_s"] / med["pushgateway_pushes_per_s"], 3)
        med["node_cpu_ratio_argus_over_node_exporter"] = round(med["argus_node_cpu_ms"] / med["node_exporter_cpu_ms"], 3)
        med["rounds"] = a.rounds
        print(json.dumps(med))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
