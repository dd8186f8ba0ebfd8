"""Concurrent clients for a running dashboard, speaking Streamlit's own websocket protocol.

Each client is what a browser tab sends to the server, without the browser:
it opens ``/_stcore/stream``, asks for a script run (``BackMsg.rerun_script``
with the widget states), and reads ``ForwardMsg``s until the run finishes. So
the latency measured is the server's: from the request to the script's
``script_finished``, including every delta sent back. No browser rendering is
involved, which keeps 20 clients affordable on a 2-core machine and leaves the
CPU to the server under test.

Used by ``bench/run.py`` and ``tests/test_load.py`` (same code, same numbers).
Only loopback addresses are accepted.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

PAGES = ("overview", "status", "timeline", "themes", "explorer", "changes", "data")
PILLAR_KEY = "w_pillar"
STATUS_KEY = "w_status"


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (psutil when installed, else /proc)."""
    try:
        import psutil  # type: ignore

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - process gone
        return None
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Run:
    page: str
    action: str
    seconds: float
    ok: bool
    error: str = ""
    bytes: int = 0


@dataclass
class Client:
    """One session. ``rerun`` blocks until the script run it asked for has finished."""

    url: str
    timeout: float = 60.0
    widgets: dict[str, object] = field(default_factory=dict)  # key -> value sent with each rerun
    ids: dict[str, str] = field(default_factory=dict)  # user key -> element id
    options: dict[str, list[str]] = field(default_factory=dict)  # user key -> formatted options
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page_script_hash
    page_hash: str = ""

    def __post_init__(self) -> None:
        u = urlparse(self.url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1") and not (u.hostname or "").startswith("127."):
            raise ValueError(f"load clients only talk to loopback addresses, not {u.hostname}")
        path = u.path.rstrip("/")
        self._conn = connect(
            f"ws://{u.netloc}{path}/_stcore/stream",
            subprotocols=["streamlit"],
            open_timeout=self.timeout,
            max_size=None,
            compression=None,
        )
        self.ws = self._conn.__enter__()

    def close(self) -> None:
        try:
            self._conn.__exit__(None, None, None)
        except Exception:  # noqa: BLE001
            pass

    def _state(self):
        msg = BackMsg()
        cs = msg.rerun_script
        cs.page_script_hash = self.page_hash
        for key, value in self.widgets.items():
            wid = self.ids.get(key)
            if not wid:
                continue
            w = cs.widget_states.widgets.add()
            w.id = wid
            if isinstance(value, (list, tuple)):
                w.string_array_value.data.extend(value)
            else:
                w.string_value = str(value)
        return msg

    def rerun(self, page: str = "", action: str = "") -> Run:
        """Ask for a run (on ``page`` if given) and wait for it to finish."""
        if page:
            self.page_hash = self.pages.get(page, self.page_hash)
        t0 = time.perf_counter()
        received = 0
        exception = ""
        try:
            self.ws.send(self._state().SerializeToString())
            deadline = t0 + self.timeout
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return Run(page, action, time.perf_counter() - t0, False, "timeout", received)
                data = self.ws.recv(timeout=left)
                received += len(data)
                fm = ForwardMsg()
                fm.ParseFromString(data)
                kind = fm.WhichOneof("type")
                if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    el = fm.delta.new_element
                    etype = el.WhichOneof("type")
                    if etype == "exception":
                        exception = exception or (el.exception.type or "exception")
                    elif etype in ("multiselect", "selectbox"):
                        w = getattr(el, etype)
                        key = w.id.rsplit("-", 1)[-1] if w.id else ""
                        if key:
                            self.ids[key] = w.id
                            self.options[key] = list(w.options)
                elif kind == "navigation":
                    for p in fm.navigation.app_pages:
                        self.pages[p.url_pathname or "overview"] = p.page_script_hash
                elif kind == "script_finished":
                    status = fm.script_finished
                    if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the app called st.rerun(): the run goes on
                    ok = status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                    err = exception or ("" if ok else f"script_finished={status}")
                    return Run(page, action, time.perf_counter() - t0, ok and not exception, err, received)
        except Exception as exc:  # noqa: BLE001 - a dropped connection is an error to count
            return Run(page, action, time.perf_counter() - t0, False, f"{type(exc).__name__}: {exc}"[:200], received)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _client_loop(
    url: str,
    seed: int,
    deadline: float,
    think: tuple[float, float],
    out: list[Run],
    lock: threading.Lock,
    timeout: float,
) -> None:
    rnd = random.Random(seed)
    try:
        c = Client(url, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        with lock:
            out.append(Run("", "connect", 0.0, False, f"{type(exc).__name__}: {exc}"[:200]))
        return
    try:
        first = c.rerun("", "open")
        with lock:
            out.append(first)
        page = "overview"
        while time.monotonic() < deadline:
            time.sleep(rnd.uniform(*think))
            if time.monotonic() >= deadline:
                break
            roll = rnd.random()
            if roll < 0.35 and c.options.get(PILLAR_KEY):
                c.widgets[PILLAR_KEY] = rnd.sample(c.options[PILLAR_KEY], rnd.randint(0, 2))
                action = "pillar"
            elif roll < 0.6 and c.options.get(STATUS_KEY):
                c.widgets[STATUS_KEY] = rnd.sample(c.options[STATUS_KEY], rnd.randint(0, 2))
                action = "status"
            else:
                page = rnd.choice([p for p in PAGES if p in c.pages] or ["overview"])
                action = "page"
            r = c.rerun(page if action == "page" else "", action)
            r.page = page
            with lock:
                out.append(r)
            if not r.ok and r.error.startswith(("ConnectionClosed", "timeout")):
                break
    finally:
        c.close()


def run_load(
    url: str,
    *,
    clients: int = 20,
    duration: float = 60.0,
    pid: int | None = None,
    think: tuple[float, float] = (1.0, 3.0),
    seed: int = 1,
    timeout: float = 60.0,
    warm: bool = True,
) -> dict:
    """``clients`` sessions for ``duration`` seconds, each changing filters and pages.

    Each session waits ``think`` seconds (uniform) between actions, like a person
    reading the page: 20 sessions then ask for ~10 reruns a second in all.

    Returns counts, errors, rerun latency percentiles (ms; the first run of each
    session is reported apart) and the server's RSS (MB) when ``pid`` is given."""
    runs: list[Run] = []
    lock = threading.Lock()
    rss: list[float] = []
    stop = threading.Event()
    if warm:  # one session first, as on a server that has been up a while: the process's
        # first run (imports, reading the data) is not a cost every later viewer pays
        first = Client(url, timeout=timeout)
        first.rerun("", "open")
        first.close()
    rss_start = rss_mb(pid) if pid else None

    def sample() -> None:
        while not stop.wait(0.5):
            v = rss_mb(pid) if pid else None
            if v is not None:
                rss.append(v)

    mon = threading.Thread(target=sample, daemon=True)
    mon.start()
    t0 = time.monotonic()
    deadline = t0 + duration
    threads = []
    for i in range(clients):
        th = threading.Thread(
            target=_client_loop, args=(url, seed * 1000 + i, deadline, think, runs, lock, timeout), daemon=True
        )
        threads.append(th)
        th.start()
        time.sleep(min(0.1, duration / max(clients, 1) / 10))  # arrivals spread over ~2 s, not one burst
    for th in threads:
        th.join(duration + timeout + 30)
    elapsed = time.monotonic() - t0
    stop.set()
    mon.join(2)
    rss_end = rss_mb(pid) if pid else None

    opens = [r for r in runs if r.action == "open"]
    reruns = [r for r in runs if r.action not in ("open", "connect")]
    ok = [r.seconds * 1000 for r in reruns if r.ok]
    errors = [r for r in runs if not r.ok]
    per_page: dict[str, dict] = {}
    for p in sorted({r.page for r in reruns}):
        lat = [r.seconds * 1000 for r in reruns if r.ok and r.page == p]
        per_page[p] = {"n": len(lat), "p50_ms": _r(percentile(lat, 0.5)), "p95_ms": _r(percentile(lat, 0.95))}
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "sessions_opened": sum(1 for r in opens if r.ok),
        "reruns": len(reruns),
        "reruns_per_s": round(len(reruns) / elapsed, 2) if elapsed else None,
        "errors": len(errors),
        "error_samples": sorted({f"{r.action}: {r.error}" for r in errors})[:10],
        "p50_ms": _r(percentile(ok, 0.5)),
        "p95_ms": _r(percentile(ok, 0.95)),
        "max_ms": _r(max(ok) if ok else None),
        "open_p50_ms": _r(percentile([r.seconds * 1000 for r in opens if r.ok], 0.5)),
        "mean_bytes_per_rerun": int(statistics.mean([r.bytes for r in reruns])) if reruns else None,
        "per_page": per_page,
        "server_rss_mb_start": _r(rss_start),
        "server_rss_mb_peak": _r(max(rss) if rss else None),
        "server_rss_mb_end": _r(rss_end),
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)
