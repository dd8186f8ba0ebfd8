#!/usr/bin/env python
"""The same client load through deploy/'s nginx with 1 and with 2 replicas, and how many
concurrent viewers one replica (one Python process: about one core) serves at p95 <= 1 s.

    .venv/bin/python bench/replicas.py                       # ~6 minutes on 2 cores
    .venv/bin/python bench/replicas.py --clients 5,10,20,40 --duration 30

Needs nginx (scripts/test.sh installs nginx-light). Loopback only. Writes
bench/results/replicas.json and prints a Markdown table (deploy/README.md, "Sizing").
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import server  # noqa: E402
from bench.load import run_load  # noqa: E402

BASE = "cmap"
WORK = ROOT / "bench" / "work"
P95_GOAL_MS = 1000.0


def _renderer():
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy" / "render_nginx.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@contextmanager
def replica(i: int):
    port = server.free_port()
    proc = server.start(
        ROOT / "dashboard.py",
        port,
        args=(f"--server.baseUrlPath={BASE}",),
        log_path=WORK / f"replica-{i}-{port}.log",
        base_path=f"/{BASE}",
    )
    try:
        yield port, proc
    finally:
        server.stop(proc)


@contextmanager
def proxy(ports: list[int]):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = Path(tempfile.mkdtemp(prefix="cmap-bench-nginx-"))
    prefix.chmod(0o755)  # nginx workers run as nobody when started as root
    render = _renderer()
    render.prepare_prefix(prefix)
    port = server.free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(render.render(f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in ports], prefix), encoding="utf-8")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(prefix)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{BASE}"
    try:
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("nginx did not come up") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(prefix, ignore_errors=True)


def measure(n_replicas: int, clients: list[int], duration: float) -> list[dict]:
    rows = []
    with ExitStack() as stack:
        with ThreadPoolExecutor(n_replicas) as pool:
            started = list(pool.map(lambda i: stack.enter_context(replica(i)), range(n_replicas)))
        url = stack.enter_context(proxy([port for port, _proc in started]))
        for n in clients:
            res = run_load(url, clients=n, duration=duration)
            row = {"replicas": n_replicas, "clients": n}
            row.update({k: res[k] for k in ("reruns", "reruns_per_s", "errors", "p50_ms", "p95_ms", "open_p50_ms")})
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="5,10,20,40", help="client counts for 1 replica")
    ap.add_argument("--clients-2", default="20,40", help="client counts for 2 replicas")
    ap.add_argument("--duration", type=float, default=30.0)
    args = ap.parse_args()
    rows = measure(1, [int(c) for c in args.clients.split(",")], args.duration)
    rows += measure(2, [int(c) for c in args.clients_2.split(",")], args.duration)
    one = [r for r in rows if r["replicas"] == 1 and r["errors"] == 0 and (r["p95_ms"] or 1e9) <= P95_GOAL_MS]
    summary = {"rows": rows, "viewers_per_replica_at_p95_1s": max((r["clients"] for r in one), default=0)}
    out = ROOT / "bench" / "results" / "replicas.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print("| replicas | clients | reruns/s | p50 | p95 | first run p50 | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['replicas']} | {r['clients']} | {r['reruns_per_s']} | {r['p50_ms']} ms | {r['p95_ms']} ms "
            f"| {r['open_p50_ms']} ms | {r['errors']} |"
        )
    print(f"\nviewers one replica serves at p95 <= 1 s (of those tried): {summary['viewers_per_replica_at_p95_1s']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
