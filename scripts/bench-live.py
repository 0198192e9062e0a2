#!/usr/bin/env python3
"""How fast a change reaches open sign-off pages (issue 4: "within a second").

Starts two Slipway instances on one PostgreSQL database, opens the live
stream of one release on each (as a browser's EventSource does), then records
evidence through instance A N times and measures, per change, the time from
sending the request until the `changed` event arrives on A (same instance)
and on B (the other instance, through LISTEN/NOTIFY).

Usage: scripts/bench-live.py BINARY [POSTGRES_ADMIN_URL] [N]
  e.g. scripts/bench-live.py $CARGO_TARGET_DIR/release/slipway postgres://postgres@127.0.0.1:5432/test 200
"""

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BINARY = sys.argv[1]
ADMIN_URL = sys.argv[2] if len(sys.argv) > 2 else "postgres://postgres@127.0.0.1:5432/test"
N = int(sys.argv[3]) if len(sys.argv) > 3 else 200
DB = "slipway_bench_live"
PASSWORD = "bench admin password"
PORTS = (3981, 3982)


def psql(sql):
    subprocess.run(["psql", ADMIN_URL, "-q", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def db_url():
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{DB}"


def start(port, seed):
    env = dict(os.environ)
    env.update({
        "SLIPWAY_ADDR": f"127.0.0.1:{port}",
        "SLIPWAY_DATA_DIR": tempfile.mkdtemp(prefix="slipway-live-"),
        "SLIPWAY_DATABASE_URL": db_url(),
        "SLIPWAY_ADMIN_PASSWORD": PASSWORD,
        "SLIPWAY_LOG": "warn",
    })
    args = [BINARY, "serve"] + (["--seed-demo"] if seed else [])
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return p
        except Exception:
            time.sleep(0.05)
    p.kill()
    sys.exit(f"instance on {port} did not start")


def post(port, path, form, cookie=None):
    body = urllib.parse.urlencode(form)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
        "Accept": "application/json",
    }
    if cookie:
        headers["Cookie"] = cookie
    c.request("POST", path, body, headers)
    r = c.getresponse()
    data = r.read().decode()
    if r.status != 200:
        sys.exit(f"{path}: {r.status} {data}")
    return r, data


class Stream:
    """One live stream; records when each `changed` event arrives."""

    def __init__(self, port, path, cookie):
        self.arrivals = []
        self.cond = threading.Condition()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.r = c.getresponse()
        assert self.r.status == 200, self.r.status
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            line = self.r.fp.readline()
            if not line:
                return
            if line.startswith(b"event: changed"):
                with self.cond:
                    self.arrivals.append(time.perf_counter())
                    self.cond.notify_all()

    def wait(self, count):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.arrivals) >= count, timeout=10):
                sys.exit("an event did not arrive within 10 s")
            return self.arrivals[count - 1]


def report(name, ms):
    ms = sorted(ms)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"{name}: n={len(ms)} p50={p(0.5):.1f} ms p95={p(0.95):.1f} ms p99={p(0.99):.1f} ms "
          f"max={ms[-1]:.1f} ms mean={statistics.mean(ms):.1f} ms")


def main():
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    a = start(PORTS[0], seed=True)
    b = start(PORTS[1], seed=False)
    try:
        r, _ = post(PORTS[0], "/api/session/login", {"username": "admin", "password": PASSWORD})
        cookie = r.getheader("Set-Cookie").split(";")[0]
        _, rid = post(PORTS[0], "/api/releases/create", {
            "slug": "demo", "version": "1.0.0", "artifact": "0123456789abcdef0123456789abcdef01234567",
        }, cookie)
        rid = rid.strip()
        path = f"/live/releases/demo/{rid}"
        same, other = Stream(PORTS[0], path, cookie), Stream(PORTS[1], path, cookie)
        time.sleep(1.0)  # both streams and LISTEN are up
        same_ms, other_ms = [], []
        for i in range(1, N + 1):
            t0 = time.perf_counter()
            post(PORTS[0], "/api/releases/evidence", {
                "slug": "demo", "id": rid, "kind": "qa-report", "outcome": "info", "summary": f"run {i}",
            }, cookie)
            same_ms.append((same.wait(i) - t0) * 1000)
            other_ms.append((other.wait(i) - t0) * 1000)
        report("same instance (SSE)", same_ms)
        report("other instance (LISTEN/NOTIFY + SSE)", other_ms)
    finally:
        a.kill()
        b.kill()
        a.wait()
        b.wait()
        psql(f"DROP DATABASE IF EXISTS {DB}")


main()
