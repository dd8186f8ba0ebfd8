"""Start and stop ``streamlit run`` on 127.0.0.1, and launch Chromium: shared by the
benchmark and the tests.

One place knows how a server is started (headless, loopback only, usage
statistics off) and when it counts as up (``/_stcore/health`` answers 200).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # Debian's; `playwright install` cannot download here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def launch_chromium(playwright):
    """Headless Chromium with the flags every test and benchmark uses."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    script: Path,
    port: int,
    *,
    env: dict | None = None,
    args: tuple[str, ...] = (),
    log_path: Path,
    base_path: str = "",
    timeout: float = 90.0,
) -> subprocess.Popen:
    """Run ``script`` on ``port`` and return once it answers its health check.
    ``env`` is the whole environment of the server; raises RuntimeError (after
    stopping it) if it does not come up within ``timeout`` seconds."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                *args,
            ],
            cwd=ROOT,
            env={**(os.environ if env is None else env), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{base_path}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{script.name} did not start on port {port}; see {log_path}")


def stop(proc: subprocess.Popen | None, timeout: float = 15.0) -> None:
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
