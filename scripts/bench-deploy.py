#!/usr/bin/env python3
"""Deployment benchmarks (BENCHMARKS.md), against the release build:

1. Click-to-adapter-start latency for promote and for rollback: the time
   from sending the API request to the moment the environment's no-op
   command adapter starts (it writes `date +%s%N` to a file named after the
   deployment), p50/p99 over RUNS runs each.
2. 50 environments (10 projects x 5) deploying at once on one instance: a
   rollback in every environment at the same moment, each through a
   command adapter that sleeps 2 s; checks that every deployment ran
   exactly once and ended succeeded (none lost, duplicated or stuck), and
   reports the wall time against the sum of the adapters' own times.

Usage: scripts/bench-deploy.py [BINARY] (default: $CARGO_TARGET_DIR or
target, release/slipway). Starts its own server on a temporary SQLite
database; needs nothing but python3.
"""

import concurrent.futures
import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
PORT = int(os.environ.get("BENCH_PORT", "3994"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench password 123"
target = os.environ.get("CARGO_TARGET_DIR", "target")
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "release", "slipway")

data = tempfile.mkdtemp(prefix="slipway-bench-deploy-")
marks = tempfile.mkdtemp(prefix="slipway-bench-marks-")
env = dict(os.environ, SLIPWAY_DATA_DIR=data, SLIPWAY_ADDR=f"127.0.0.1:{PORT}",
           SLIPWAY_ADMIN_PASSWORD=PASSWORD, SLIPWAY_LOG="warn", SLIPWAY_API_RATE_PER_SECOND="0")
server = subprocess.Popen([BINARY, "serve"], env=env)


def wait_ready():
    for _ in range(600):
        try:
            urllib.request.urlopen(BASE + "/readyz", timeout=1)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    sys.exit("the server did not start")


jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def page_post(path, fields):
    """A server function, as the pages call it (session cookie, same origin)."""
    body = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(BASE + path, data=body, method="POST",
                                 headers={"Origin": BASE, "Accept": "application/json"})
    try:
        return browser.open(req).read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{path}: {e.code} {e.read().decode()}")


TOKEN = None


def api(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req) as res:
            text = res.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")


def project(slug, envs):
    fields = {"project[name]": slug.title(), "project[slug]": slug}
    for i, name in enumerate(envs):
        fields[f"environments[{i}][name]"] = name
        # Development tier: no checklist items are required before it (the
        # gate is not what is measured here).
        fields[f"environments[{i}][tier]"] = "development"
    page_post("/api/projects/create", fields)
    for name in envs:
        page_post("/api/releases/policy", {"slug": slug, "environment": name, "required": "0"})


def command_adapter(slug, env_name, script):
    page_post("/api/deployments/settings", {
        "slug": slug, "env": env_name, "settings[adapter]": "command", "settings[program]": "/bin/sh",
        "settings[args]": f"-c\n{script}", "settings[timeout_s]": "60"})


def wait_ended(deployment):
    while True:
        d = api("GET", f"/api/v1/deployments/{deployment}")
        if d["state"] not in ("queued", "deploying", "verifying"):
            return d
        time.sleep(0.01)


def wait_mark(deployment):
    path = os.path.join(marks, str(deployment))
    while True:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.0005)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(name, latencies_ms):
    print(f"{name:<10} runs {len(latencies_ms):>4}  p50 {pct(latencies_ms, 50):7.1f} ms  "
          f"p99 {pct(latencies_ms, 99):7.1f} ms  max {max(latencies_ms):7.1f} ms  "
          f"mean {statistics.mean(latencies_ms):7.1f} ms")


try:
    wait_ready()
    page_post("/api/session/login", {"username": "admin", "password": PASSWORD})
    project("lat", ["dev"])
    command_adapter("lat", "dev", f"date +%s%N > {marks}/$SLIPWAY_DEPLOYMENT_ID")
    TOKEN = subprocess.run(
        [BINARY, "admin", "create-token", "--username", "admin", "--name", "bench", "--scope",
         "read,releases:write,promote,rollback"],
        env=env, check=True, capture_output=True, text=True).stdout.strip()

    # 1. promote: a new release each time, promoted into dev.
    promote = []
    for i in range(RUNS):
        r = api("POST", "/api/v1/projects/lat/releases", {"version": f"1.0.{i}", "artifact": f"sha256:{i:064x}"})
        api("POST", f"/api/v1/releases/{r['id']}/submit", {})
        t0 = time.time_ns()
        p = api("POST", f"/api/v1/releases/{r['id']}/promote", {})
        started = wait_mark(p["deployment_id"])
        promote.append((started - t0) / 1e6)
        assert wait_ended(p["deployment_id"])["state"] == "succeeded"
    # 1b. rollback: each one puts the previous verified version back.
    rollback = []
    for i in range(min(RUNS, len(promote) - 1)):
        t0 = time.time_ns()
        d = api("POST", "/api/v1/projects/lat/environments/dev/rollback", {"reason": "bench"},
                {"Idempotency-Key": f"bench-{i}"})
        started = wait_mark(d["id"])
        rollback.append((started - t0) / 1e6)
        assert wait_ended(d["id"])["state"] == "succeeded"
    print("click-to-adapter-start (API request sent -> no-op command adapter running)")
    report("promote", promote)
    report("rollback", rollback)

    # 2. 50 environments deploying at once.
    envs = [f"e{n}" for n in range(1, 6)]
    projects = [f"p{n:02d}" for n in range(1, 11)]
    for slug in projects:
        project(slug, envs)
        for v in (1, 2):
            r = api("POST", f"/api/v1/projects/{slug}/releases", {"version": f"{v}.0.0", "artifact": f"sha256:{v:064x}"})
            api("POST", f"/api/v1/releases/{r['id']}/submit", {})
            for e in envs:
                api("POST", f"/api/v1/releases/{r['id']}/promote", {"environment": e})
        for e in envs:
            command_adapter(slug, e, f"echo run >> {marks}/{slug}-$SLIPWAY_ENVIRONMENT; sleep 2")
    t0 = time.time()

    def roll(pair):
        slug, e = pair
        d = api("POST", f"/api/v1/projects/{slug}/environments/{e}/rollback", {"reason": "bench"})
        return wait_ended(d["id"])

    pairs = [(s, e) for s in projects for e in envs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        ended = list(pool.map(roll, pairs))
    wall = time.time() - t0
    states = [d["state"] for d in ended]
    runs = [open(os.path.join(marks, f"{s}-{e}")).read().count("run") for s, e in pairs]
    print(f"50 environments at once: {states.count('succeeded')}/50 succeeded, "
          f"adapters ran {sum(runs)} times (exactly once each: {all(r == 1 for r in runs)}), "
          f"wall {wall:.1f} s for {2 * len(pairs)} s of adapter time")
finally:
    server.terminate()
    server.wait()
