#!/usr/bin/env python3
"""Remote-write ingest throughput, side by side on loopback: argus'
/api/v1/write receiver vs Debian's Prometheus 2.42 (--web.enable-remote-write-receiver).

Each round starts a fresh receiver on an empty data dir, waits until it is
ready, runs remote-write-bench against it (pre-generated WriteRequests of
1,000 series x 100 samples, a few concurrent clients, bounded time), and
stops it. Rounds alternate between the systems; the medians are reported.

Usage: python3 benchmarks/remote_write.py --argus target/release/argus \
           --bench target/release/remote-write-bench [--rounds 3] [--clients 4] [--requests 60] [--seconds 30]
Every process it starts is stopped by PID; data goes to a temp dir.
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"receiver exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit("receiver not ready")


def start(system, argus, tmp, port):
    data = tempfile.mkdtemp(dir=tmp)
    cfg = os.path.join(data, "cfg.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    if system == "prometheus":
        cmd = ["/usr/bin/prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}/tsdb",
               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"]
    else:
        cmd = [argus, "serve", f"--config.file={cfg}", f"--storage.tsdb.path={data}/tsdb",
               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"]
    log = open(os.path.join(data, "log"), "w")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default="target/release/argus")
    ap.add_argument("--bench", default="target/release/remote-write-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rw-bench-")
    results = {"prometheus": [], "argus": []}
    try:
        for r in range(a.rounds):
            for system in ("prometheus", "argus"):
                port = free_port()
                proc = start(system, a.argus, tmp, port)
                try:
                    wait_ready(port, proc)
                    out = subprocess.run(
                        [a.bench, f"http://127.0.0.1:{port}/api/v1/write", "--clients", str(a.clients),
                         "--requests", str(a.requests), "--seconds", str(a.seconds)],
                        check=True, capture_output=True, text=True, timeout=a.seconds + 300).stdout
                finally:
                    stop(proc)
                res = json.loads(out.strip().splitlines()[-1])
                res["round"] = r + 1
                print(system, json.dumps(res), flush=True)
                if res["non_2xx"] or res["errors"]:
                    print(f"warning: {system} answered {res['non_2xx']} non-2xx, {res['errors']} errors", file=sys.stderr)
                results[system].append(res["samples_per_second"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(json.dumps({"median_samples_per_second": med, "runs": results,
                      "argus_over_prometheus": round(med["argus"] / med["prometheus"], 3)}))


if __name__ == "__main__":
    main()
