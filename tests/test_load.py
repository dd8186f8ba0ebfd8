"""20 concurrent sessions for 60 s on 127.0.0.1, each changing filters and pages.

Opt-in (``-m load``; conftest skips it otherwise). The clients speak Streamlit's
websocket protocol (bench/load.py, the same driver bench/run.py uses), so the
latency is the server's and the 2 cores are left to the server. Prints and
saves (tests/artifacts/load.json) errors, rerun latency p50/p95 and server RSS.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import ARTIFACTS, ROOT, Server

sys.path.insert(0, str(ROOT))

from bench.load import run_load  # noqa: E402

pytestmark = [pytest.mark.load, pytest.mark.timeout(400)]

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "20"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))


def test_twenty_sessions_for_a_minute_without_errors():
    env = {"DASHBOARD_DATA": os.environ["LOAD_DATA"]} if os.environ.get("LOAD_DATA") else {}
    server = Server(env=env).start()
    try:
        res = run_load(server.url, clients=CLIENTS, duration=SECONDS, pid=server.proc.pid)
        alive = server.proc.poll() is None
    finally:
        server.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(res, indent=1))
    print(
        f"\nload: {res['sessions_opened']} sessions, {res['reruns']} reruns ({res['reruns_per_s']}/s), "
        f"{res['errors']} errors, rerun p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms, "
        f"server RSS {res['server_rss_mb_start']} -> peak {res['server_rss_mb_peak']} MB"
    )
    assert alive, "the server died under load"
    assert res["errors"] == 0, res["error_samples"]
    assert res["sessions_opened"] == CLIENTS
    assert res["reruns"] >= CLIENTS, "each session should have changed something at least once"
