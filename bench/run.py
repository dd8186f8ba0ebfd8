#!/usr/bin/env python
"""Benchmark the dashboard against plain baselines, as ratios measured in the same run.

    .venv/bin/python bench/run.py                 # full run (~10 min on 2 cores)
    .venv/bin/python bench/run.py --quick         # smoke run: 1k/10k rows, short load test
    .venv/bin/python bench/run.py --skip-browser  # no Chromium (first chart, memory, websocket bytes)
    .venv/bin/python bench/run.py --sizes 1000,100000 --only load,rerun

What is measured (see bench/README.md for how to read it):

* load       loader.load + dataset.build  vs  pd.read_csv(engine="pyarrow"), same file, median of 3
* rerun      server-side rerun of each page after a filter change, on live servers (websocket
             client: request -> script_finished)  vs  bench/bare_app.py, samples alternating
* rerun_apptest  the same with Streamlit's AppTest (script only; both apps in one process, samples
             alternating; AppTest forces every table eager, so table pages pay for serialising
             whole tables a browser would get lazily)
* first      navigation -> visible .js-plotly-plot in headless Chromium, overview  vs  bare app
* memory     server RSS with 1 session and with 20 sessions on the overview page -> MB per session
* payload    figure JSON bytes per page (built with the figure builders on the same frame), plus
             the Arrow bytes of the tables each page sends and, with a browser, websocket bytes
* loadtest   20 protocol-level clients for 30 s changing filters and pages (bench/load.py), against
             the dashboard and the bare app in turn (alternating, 2 rounds), bundled data and 100k rows

Synthetic CSVs (bench/gen.py) are written once to bench/work/ (git-ignored).
Results: bench/results/latest.json and a timestamped copy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import gen, server  # noqa: E402
from bench.load import PAGES, rss_mb, run_load  # noqa: E402

WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
CHROMIUM = server.CHROMIUM
BUNDLED = ROOT / "data" / "initiatives.csv"
TARGETS = {"load": 2.0, "rerun": 2.0, "first": 1.3, "first_100k": 1.2, "memory_mb_per_session": 5.0}
LOAD_TARGETS = {"p50_ms": 1.5, "p95_ms": 1.5, "open_p50_ms": 1.3, "reruns_per_s": 0.8}  # ratios ours / bare


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rnd(x, n=3):
    return None if x is None else round(x, n)


# --------------------------------------------------------------------------- environment


def environment() -> dict:
    def version(mod):
        try:
            return __import__(mod).__version__
        except Exception:  # noqa: BLE001
            return None

    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=ROOT).stdout.strip()
        except Exception:  # noqa: BLE001
            return None

    mem = None
    try:
        with open("/proc/meminfo") as fh:
            mem = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    cpu_model = None
    try:
        cpu_model = next(
            (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), None
        )
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        "mem_gb": mem,
        "loadavg_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {m: version(m) for m in ("streamlit", "pandas", "pyarrow", "plotly", "numpy", "playwright")},
        "chromium": run([CHROMIUM, "--version"]) if Path(CHROMIUM).exists() else None,
        "git_commit": run(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": bool(run(["git", "status", "--porcelain", "--", "cmap_tracker", "pages", "dashboard.py"])),
    }


# --------------------------------------------------------------------------- load


def bench_load(sizes: list[int], repeats: int = 3) -> list[dict]:
    import pandas as pd

    from cmap_tracker import dataset, loader

    out = []
    for n in sizes:
        path = gen.ensure(WORK, n)
        raw_t, ours_t, load_t, build_t = [], [], [], []
        pd.read_csv(path, engine="pyarrow")  # page cache and pyarrow warm for both sides
        for _ in range(repeats):
            gc.collect()
            t = time.perf_counter()
            df = pd.read_csv(path, engine="pyarrow")
            raw_t.append(time.perf_counter() - t)
            assert len(df) == n
            del df
            gc.collect()
            t = time.perf_counter()
            res = loader.load(path, limit=None)
            t1 = time.perf_counter()
            ds = dataset.build(res)
            t2 = time.perf_counter()
            assert res.ok and len(ds.frame) == n, (res.fatal, len(res.frame))
            load_t.append(t1 - t)
            build_t.append(t2 - t1)
            ours_t.append(t2 - t)
            del res, ds
        res = loader.load(path, limit=None)  # the text-search index is built on the first search: time it once
        ds = dataset.build(res)
        t = time.perf_counter()
        _ = ds.search
        search_s = time.perf_counter() - t
        t = time.perf_counter()
        _ = ds.view  # the columns pages draw, with categoricals: built on the first page, once
        view_s = time.perf_counter() - t
        del res, ds, _
        gc.collect()
        row = {
            "rows": n,
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "raw_read_s": rnd(median(raw_t)),
            "first_search_index_s": rnd(search_s),
            "first_view_s": rnd(view_s),
            "ours_s": rnd(median(ours_t)),
            "loader_s": rnd(median(load_t)),
            "build_s": rnd(median(build_t)),
            "ratio": rnd(median(ours_t) / median(raw_t), 2),
            "raw_all_s": [rnd(x) for x in raw_t],
            "ours_all_s": [rnd(x) for x in ours_t],
        }
        log(
            f"  load {n:>8} rows: ours {row['ours_s']}s vs read_csv {row['raw_read_s']}s -> {row['ratio']}x"
            f" (once per data version: search index {row['first_search_index_s']}s on the first search,"
            f" page view {row['first_view_s']}s on the first page)"
        )
        out.append(row)
    gc.collect()
    return out


# --------------------------------------------------------------------------- rerun (AppTest)


def _apptest(app: str, page: str, data: Path, repeats: int) -> dict:
    env = {**os.environ, "DASHBOARD_DATA": str(data), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "apptest_rerun.py"),
        "--app",
        app,
        "--page",
        page,
        "--repeats",
        str(repeats),
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:  # noqa: BLE001
        return {"error": (p.stderr or p.stdout)[-500:]}


def bench_rerun(rows: int, pages: list[str], repeats: int = 5) -> dict:
    """AppTest: for each page, the dashboard and the bare app run in one fresh
    process and their samples alternate, so both see the same machine."""
    data = gen.ensure(WORK, rows)
    out = {
        "rows": rows,
        "repeats": repeats,
        "method": "AppTest, both apps in one process, samples alternating",
        "pages": {},
    }
    bare_all: list[float] = []
    for page in pages:
        both = _apptest("both", page, data, repeats)
        if "error" in both:
            out["pages"][page] = both
            log(f"  rerun {page:9s}: {both['error']}")
            continue
        r, bare = both["dashboard"], both["bare"]
        r["bare_median_s"], r["bare_times_s"] = bare["median_s"], bare["times_s"]
        r["ratio"] = rnd(r["median_s"] / bare["median_s"], 2) if bare["median_s"] else None
        bare_all += bare["times_s"]
        out["pages"][page] = r
        log(f"  rerun {page:9s}: {r['median_s']}s vs bare {bare['median_s']}s -> {r['ratio']}x")
    out["bare_median_s"] = rnd(median(bare_all), 4) if bare_all else None
    return out


# --------------------------------------------------------------------------- live servers


class App:
    """``python -m streamlit run <script>`` on 127.0.0.1 (bench/server.py, as the tests start theirs)."""

    def __init__(self, script: Path, data: Path | None):
        self.script, self.data, self.port, self.proc = script, data, server.free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> App:
        env = dict(os.environ)
        env.pop("DASHBOARD_DATA", None)
        if self.data:
            env["DASHBOARD_DATA"] = str(self.data)
        self.proc = server.start(
            self.script, self.port, env=env, log_path=WORK / f"server-{self.script.stem}-{self.port}.log"
        )
        return self

    def __exit__(self, *exc) -> None:
        server.stop(self.proc)

    def rss(self) -> float | None:
        return rss_mb(self.proc.pid)


def bench_rerun_live(rows: int, pages: list[str], repeats: int = 7) -> dict:
    """Server-side rerun after a filter change, on real servers: one websocket
    client per app (bench/load.py) asks for the run and waits for
    ``script_finished``, so this is the script run plus sending its deltas,
    with tables as a browser gets them (lazy above app.LAZY_ROWS; AppTest
    forces every table eager). Samples alternate between the two apps."""
    from bench.load import PILLAR_KEY, Client

    data = gen.ensure(WORK, rows)
    out = {
        "rows": rows,
        "repeats": repeats,
        "method": "websocket client, rerun request -> script_finished",
        "pages": {},
    }
    with App(ROOT / "dashboard.py", data) as ours, App(ROOT / "bench" / "bare_app.py", data) as bare:
        c_ours, c_bare = Client(ours.url, timeout=300), Client(bare.url, timeout=300)
        try:
            for c in (c_ours, c_bare):
                first = c.rerun("", "open")
                if not first.ok:
                    raise RuntimeError(f"first run failed: {first.error}")
            pillars, statuses = c_ours.options.get(PILLAR_KEY, []), c_bare.options.get("status", [])
            if not pillars or not statuses:
                raise RuntimeError("filter widgets not found in the first run")
            bare_all: list[float] = []
            for page in pages:
                warm = c_ours.rerun(page, "page")
                if not warm.ok:
                    out["pages"][page] = {"error": warm.error}
                    continue
                ours_t, bare_t = [], []
                for i in range(repeats):
                    # a different value every time: each run is a real change
                    c_bare.widgets["status"] = statuses[(i + 1) % len(statuses)]
                    rb = c_bare.rerun("", "filter")
                    c_ours.widgets[PILLAR_KEY] = (
                        [pillars[i % len(pillars)]] if i % 3 else pillars[i % len(pillars) : i % len(pillars) + 2]
                    )
                    ro = c_ours.rerun("", "filter")
                    if not (ro.ok and rb.ok):
                        raise RuntimeError(f"rerun failed on {page}: {ro.error or rb.error}")
                    ours_t.append(ro.seconds)
                    bare_t.append(rb.seconds)
                c_ours.widgets[PILLAR_KEY] = []
                bare_all += bare_t
                r = {
                    "median_s": rnd(median(ours_t), 4),
                    "times_s": [rnd(x, 4) for x in ours_t],
                    "bare_median_s": rnd(median(bare_t), 4),
                    "bare_times_s": [rnd(x, 4) for x in bare_t],
                }
                r["ratio"] = rnd(median(ours_t) / median(bare_t), 2)
                out["pages"][page] = r
                log(f"  rerun (live) {page:9s}: {r['median_s']}s vs bare {r['bare_median_s']}s -> {r['ratio']}x")
            out["bare_median_s"] = rnd(median(bare_all), 4)
        finally:
            c_ours.close()
            c_bare.close()
    return out


def _first_chart(browser, url: str, timeout_ms: int = 180_000) -> tuple[float, int]:
    """Seconds from navigation to a visible Plotly chart in a fresh context, and websocket bytes received."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
    page = ctx.new_page()
    got = {"bytes": 0}

    def on_ws(ws):
        ws.on(
            "framereceived",
            lambda payload: got.__setitem__(
                "bytes",
                got["bytes"] + len(payload if isinstance(payload, (bytes, bytearray)) else str(payload).encode()),
            ),
        )

    page.on("websocket", on_ws)
    try:
        t = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_selector(".js-plotly-plot", state="visible", timeout=timeout_ms)
        return time.perf_counter() - t, got["bytes"]
    finally:
        ctx.close()


def _retry(fn, *args, tries: int = 2):
    """A browser measure once more after a timeout (a busy machine), then give up."""
    for i in range(tries):
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001
            if i == tries - 1:
                raise
            log(f"  retrying after {type(exc).__name__}")


def _page_bytes(browser, url: str, timeout_ms: int = 180_000) -> tuple[int, float]:
    """Websocket bytes a fresh browser receives for one page: until the page shows
    its summary line, the script has finished and nothing arrived for 1.5 s."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
    page = ctx.new_page()
    got = {"bytes": 0, "last": time.perf_counter()}

    def on_frame(payload):
        got["bytes"] += len(payload if isinstance(payload, (bytes, bytearray)) else str(payload).encode())
        got["last"] = time.perf_counter()

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    try:
        t = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.get_by_text(re.compile(r"of [\d,.\s\u202f]+ initiatives")).first.wait_for(timeout=timeout_ms)
        deadline = time.perf_counter() + timeout_ms / 1000
        while time.perf_counter() < deadline:
            page.wait_for_timeout(250)
            busy = page.locator("[data-testid='stStatusWidget']").count()
            if not busy and time.perf_counter() - got["last"] > 1.5:
                break
        return got["bytes"], got["last"] - t
    finally:
        ctx.close()


def bench_first_chart(datasets: dict[str, Path | None], repeats: int = 5, ws_pages_for: str | None = None) -> dict:
    """Both servers run at once and the samples alternate (ours, bare, ours, …),
    so a burst of load from elsewhere on the machine hits both sides alike."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = server.launch_chromium(p)
        try:
            for label, data in datasets.items():
                with App(ROOT / "dashboard.py", data) as ours, App(ROOT / "bench" / "bare_app.py", data) as bare:
                    apps = {"dashboard": ours, "bare": bare}
                    warm = {name: _retry(_first_chart, browser, app.url)[0] for name, app in apps.items()}
                    runs: dict[str, list] = {name: [] for name in apps}
                    for _ in range(repeats):
                        for name, app in apps.items():
                            runs[name].append(_retry(_first_chart, browser, app.url))
                    row = {
                        name: {
                            "warm_s": rnd(warm[name]),
                            "median_s": rnd(median([r[0] for r in runs[name]])),
                            "all_s": [rnd(r[0]) for r in runs[name]],
                            "ws_bytes": runs[name][-1][1],
                        }
                        for name in apps
                    }
                    if label == ws_pages_for:
                        row["ws_bytes_per_page"] = {}
                        for pg in PAGES:
                            b, secs = _retry(_page_bytes, browser, f"{ours.url}/{'' if pg == 'overview' else pg}")
                            row["ws_bytes_per_page"][pg] = {"bytes": b, "load_s": rnd(secs)}
                row["ratio"] = rnd(row["dashboard"]["median_s"] / row["bare"]["median_s"], 2)
                log(
                    f"  first chart {label}: dashboard {row['dashboard']['median_s']}s vs bare "
                    f"{row['bare']['median_s']}s -> {row['ratio']}x"
                )
                out[label] = row
        finally:
            browser.close()
    return out


def bench_memory(data: Path, sessions: int = 20, warm: int = 2) -> dict:
    """RSS growth per session. ``warm`` sessions open first (the data load and the
    allocator's first high-water mark land there), then ``sessions`` more; the
    figure is the growth divided by ``sessions``. RSS is the median of 3 s of samples."""
    from playwright.sync_api import sync_playwright

    def settle(app, seconds=3.0):
        vals = []
        for _ in range(int(seconds / 0.5)):
            time.sleep(0.5)
            vals.append(app.rss())
        return median(vals)

    with App(ROOT / "dashboard.py", data) as app, sync_playwright() as p:
        rss0 = settle(app, 1.0)
        browser = server.launch_chromium(p)
        ctxs = []
        try:

            def open_one():
                ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
                pg = ctx.new_page()
                pg.goto(app.url, timeout=180_000)
                pg.wait_for_selector(".js-plotly-plot", state="visible", timeout=180_000)
                ctxs.append(ctx)

            open_one()
            rss1 = settle(app)
            for _ in range(warm - 1):
                open_one()
            rss_warm = settle(app)
            for _ in range(sessions):
                open_one()
            rss_n = settle(app)
            per = (rss_n - rss_warm) / sessions if rss_warm and rss_n else None
        finally:
            for c in ctxs:
                c.close()
            browser.close()
    res = {
        "rows": _rows(data),
        "sessions": sessions,
        "warm_sessions": warm,
        "rss_idle_mb": rnd(rss0, 1),
        "rss_1_session_mb": rnd(rss1, 1),
        f"rss_{warm}_sessions_mb": rnd(rss_warm, 1),
        f"rss_{warm + sessions}_sessions_mb": rnd(rss_n, 1),
        "mb_per_extra_session": rnd(per, 2),
    }
    log(
        f"  memory: {warm} sessions {rnd(rss_warm, 1)} MB, {warm + sessions} sessions {rnd(rss_n, 1)} MB "
        f"-> {res['mb_per_extra_session']} MB/session"
    )
    return res


def _rows(data: Path | None) -> int | str:
    if data is None:
        return "bundled"
    name = data.name
    return int(name.split("-")[1]) if name.startswith("synthetic-") else name


# --------------------------------------------------------------------------- payload


def bench_payload(rows: int) -> dict:
    """Bytes of figure JSON and of table Arrow data per page, built the way each page builds them."""
    import pandas as pd
    from streamlit import dataframe_util

    from cmap_tracker import app, changes, charts, dataset, loader, metrics, snapshots, tables, timeline

    ds = dataset.build(loader.load(gen.ensure(WORK, rows), limit=None))
    df, today = ds.frame, date.today()

    def fig_bytes(*figs) -> dict:
        return {name: len(f.to_json()) for name, f in figs}

    def table_bytes(frame: pd.DataFrame) -> dict:
        lazy_above = getattr(app, "LAZY_ROWS", 150_000)  # streamlit's own default is 150k rows
        return {
            "rows": len(frame),
            "arrow_bytes": len(dataframe_util.convert_pandas_df_to_arrow_bytes(frame)),
            "sent_whole": len(frame) <= lazy_above,
        }

    themes_default = [t for t in ("ip", "energy", "security") if t in ds.theme_slugs]
    in_theme = df[df.index.isin(ds.themes.loc[ds.themes["theme"].isin(themes_default), "row"])]
    late = metrics.late(df, today)
    snaps = [s for s in snapshots.load_snapshots() if s.result.ok]
    pages: dict[str, dict] = {
        "overview": {
            "figures": fig_bytes(("status_by_pillar", charts.status_by_pillar(df)), ("hierarchy", charts.hierarchy(df)))
        },
        "status": {
            "figures": fig_bytes(
                ("status_by_sector", charts.status_by_sector(df)),
                ("completion_by_pillar", charts.completion_by_pillar(df)),
            ),
            "tables": {"late": table_bytes(tables.display_frame(late))},
        },
        "timeline": {"figures": fig_bytes(("timeline", timeline.timeline(df, today)))},
        "themes": {
            "figures": fig_bytes(
                ("theme_matrix", charts.theme_matrix(metrics.theme_pillar(df, ds.themes))),
                ("theme_status_mix", charts.theme_status_mix(df, ds.themes, themes_default)),
                ("theme_timeline", timeline.timeline(in_theme, today)),
            ),
            "tables": {"theme_table": table_bytes(tables.display_frame(in_theme))},
        },
        "explorer": {"figures": {}, "tables": {"explorer": table_bytes(tables.display_frame(df))}},
        "data": {"figures": {}, "tables": {"issues": table_bytes(ds.result.issues_frame())}},
    }
    if len(snaps) >= 2:
        d = changes.diff(snaps[-2], snaps[-1])
        pages["changes"] = {
            "figures": fig_bytes(
                ("status_flow", charts.status_flow(d.status_flow)), ("burnup", charts.burnup(snapshots.burnup(snaps)))
            ),
            "note": "drawn from the bundled snapshots, not the synthetic file",
        }
    for v in pages.values():
        v["figure_bytes"] = sum(v["figures"].values())
        v["table_bytes"] = sum(t["arrow_bytes"] for t in v.get("tables", {}).values() if t["sent_whole"])
        v["table_bytes_if_whole"] = sum(t["arrow_bytes"] for t in v.get("tables", {}).values())
    log(
        "  payload: "
        + ", ".join(
            f"{k} {v['figure_bytes'] / 1e3:.0f} kB fig + {v['table_bytes'] / 1e3:.0f} kB tables"
            for k, v in pages.items()
        )
    )
    return {
        "rows": rows,
        "method": "figure builders on the loaded frame, len(fig.to_json()); tables: "
        "streamlit Arrow serialisation of the whole frame the page passes to "
        "st.dataframe (sent whole only when sent_whole; lazy tables send pages)",
        "pages": pages,
    }


# --------------------------------------------------------------------------- load test


LOAD_MEASURES = (  # (result key, what, better when) -> ratio ours / bare, compared with LOAD_TARGETS
    ("p50_ms", "rerun p50", "lower"),
    ("p95_ms", "rerun p95", "lower"),
    ("open_p50_ms", "new session's first run p50", "lower"),
    ("reruns_per_s", "reruns served per second", "higher"),
    ("mean_bytes_per_rerun", "bytes sent per rerun", "lower"),
)


def bench_loadtest(datasets: dict[str, Path | None], clients: int, duration: float, rounds: int = 2) -> dict:
    """The dashboard and the bare app under the same client load (bench/load.py), one
    server at a time, alternating (ours, bare, bare, ours, ...) so a slow spell on the
    machine hits both. Each measure's ratio is of the medians over the rounds."""
    scripts = {"dashboard": ROOT / "dashboard.py", "bare": ROOT / "bench" / "bare_app.py"}
    out = {}
    for label, data in datasets.items():
        runs: dict[str, list[dict]] = {"dashboard": [], "bare": []}
        for r in range(rounds):
            for name in ("dashboard", "bare") if r % 2 == 0 else ("bare", "dashboard"):
                with App(scripts[name], data) as app:
                    res = run_load(app.url, clients=clients, duration=duration, pid=app.proc.pid)
                runs[name].append(res)
                log(
                    f"  load {label} {name}: {res['reruns']} reruns ({res['reruns_per_s']}/s), {res['errors']} errors, "
                    f"p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms, open p50 {res['open_p50_ms']} ms, "
                    f"{res['mean_bytes_per_rerun']} B/rerun, RSS peak {res['server_rss_mb_peak']} MB"
                )
        row: dict = {"clients": clients, "duration_s": duration, "rounds": rounds, "rows": _rows(data), "runs": runs}
        row["errors"] = sum(r["errors"] for side in runs.values() for r in side)
        for key, _what, _better in LOAD_MEASURES:
            ours = median([r[key] for r in runs["dashboard"] if r[key] is not None] or [0])
            bare = median([r[key] for r in runs["bare"] if r[key] is not None] or [0])
            row[key] = {"dashboard": rnd(ours, 1), "bare": rnd(bare, 1), "ratio": rnd(ours / bare, 2) if bare else None}
        out[label] = row
    return out


# --------------------------------------------------------------------------- report


def table(results: dict) -> str:
    lines = ["| measure | ours | baseline | ratio | target | met |", "| --- | --- | --- | --- | --- | --- |"]

    def met(ratio, target):
        return "—" if ratio is None else ("yes" if ratio <= target else "**no**")

    for r in results.get("load", []):
        lines.append(
            f"| load + build, {r['rows']:,} rows ({r['file_mb']} MB) | {r['ours_s']} s | read_csv {r['raw_read_s']} s "
            f"| {r['ratio']}× | ≤ {TARGETS['load']}× at 1M | {met(r['ratio'], TARGETS['load']) if r['rows'] >= 1_000_000 else '(info)'} |"
        )
    for r in results.get("load", []):
        if r.get("first_search_index_s") is not None:
            lines.append(
                f"| first text search, {r['rows']:,} rows (builds the search index once, shared) | "
                f"{r['first_search_index_s']} s | — | — | — | (info) |"
            )
    for key, how in (("rerun", "live server"), ("rerun_apptest", "AppTest, script only")):
        rr = results.get(key) or {}
        for page, r in rr.get("pages", {}).items():  # live samples carry their own interleaved bare median
            bare = r.get("bare_median_s", rr.get("bare_median_s"))
            lines.append(
                f"| rerun after filter change, {page}, {rr['rows']:,} rows ({how}) | {r.get('median_s')} s | "
                f"bare app {bare} s | {r.get('ratio')}× | ≤ {TARGETS['rerun']}× | "
                f"{met(r.get('ratio'), TARGETS['rerun'])} |"
            )
    for label, r in (results.get("first_chart") or {}).items():
        goal = TARGETS["first"] if label == "bundled" else TARGETS["first_100k"]
        target, verdict = (f"≤ {goal}×", met(r["ratio"], goal))
        lines.append(
            f"| first chart visible, overview, {label} | {r['dashboard']['median_s']} s | bare app "
            f"{r['bare']['median_s']} s | {r['ratio']}× | {target} | {verdict} |"
        )
    m = results.get("memory")
    if m:
        v = m["mb_per_extra_session"]
        lines.append(
            f"| server RSS per extra session ({m['sessions']} sessions added to {m.get('warm_sessions', 1)}, "
            f"{m['rows']:,} rows) | {v} MB | 1 session {m['rss_1_session_mb']} MB | — | "
            f"≤ {TARGETS['memory_mb_per_session']} MB | "
            f"{'—' if v is None else ('yes' if v <= TARGETS['memory_mb_per_session'] else '**no**')} |"
        )
    pl = results.get("payload")
    if pl:
        for page, v in pl["pages"].items():
            lines.append(
                f"| payload {page}, {pl['rows']:,} rows | {v['figure_bytes'] / 1e3:,.0f} kB figures + "
                f"{v['table_bytes'] / 1e3:,.0f} kB tables | — | — | — | (info) |"
            )
    for label, r in (results.get("first_chart") or {}).items():
        for page, v in (r.get("ws_bytes_per_page") or {}).items():
            lines.append(
                f"| websocket bytes, first load of {page}, {label} | {v['bytes'] / 1e3:,.0f} kB | — | — | — | (info) |"
            )
    for label, lt in (results.get("loadtest") or {}).items():
        for key, what, better in LOAD_MEASURES:
            v = lt[key]
            each = {side: ", ".join(str(rnd(r[key], 1)) for r in runs) for side, runs in lt["runs"].items()}
            target = LOAD_TARGETS.get(key)
            if target is None:
                verdict, goal = "(info)", "—"
            else:
                goal = f"{'≤' if better == 'lower' else '≥'} {target}×"
                ok = v["ratio"] is not None and (v["ratio"] <= target if better == "lower" else v["ratio"] >= target)
                verdict = "yes" if ok else "**no**"
            lines.append(
                f"| {what}, {lt['clients']} clients × {lt['duration_s']:.0f} s, {label} | {v['dashboard']} "
                f"({each['dashboard']}) | bare app {v['bare']} ({each['bare']}) | {v['ratio']}× | {goal} | {verdict} |"
            )
        lines.append(
            f"| errors under load, {label} | {lt['errors']} | — | — | 0 | {'yes' if lt['errors'] == 0 else '**no**'} |"
        )
    return "\n".join(lines)


def _write(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
    tmp.replace(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=None, help="rows for the load benchmark, e.g. 1000,100000,1000000")
    ap.add_argument("--quick", action="store_true", help="1k/10k rows and short runs: a smoke test")
    ap.add_argument("--skip-browser", action="store_true", help="skip the Chromium measures")
    ap.add_argument("--only", default="", help="comma list of: load,rerun,rerun_apptest,first,memory,payload,loadtest")
    ap.add_argument("--scale-rows", type=int, default=None, help="rows for rerun/first/memory/payload (default 100000)")
    ap.add_argument("--load-duration", type=float, default=None, help="seconds of each load run (default 30)")
    ap.add_argument("--load-clients", type=int, default=20)
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = ap.parse_args()

    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 10_000] if args.quick else [1000, 100_000, 1_000_000])
    )
    scale = args.scale_rows or (10_000 if args.quick else 100_000)
    duration = args.load_duration or (10.0 if args.quick else 30.0)
    only = set(filter(None, args.only.split(","))) or {
        "load",
        "rerun",
        "rerun_apptest",
        "first",
        "memory",
        "payload",
        "loadtest",
    }
    browser_ok = not args.skip_browser and Path(CHROMIUM).exists()
    if not args.skip_browser and not browser_ok:
        log(f"Chromium not found at {CHROMIUM}: browser measures skipped")

    started = time.time()
    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "environment": environment(),
        "targets": TARGETS,
    }
    log("generating data …")
    for n in sorted(set(sizes + [scale])):
        gen.ensure(WORK, n)
    steps = [
        ("load", lambda: bench_load(sizes, repeats=3 if args.quick else 5)),
        ("rerun", lambda: bench_rerun_live(scale, list(PAGES), repeats=3 if args.quick else 7)),
        ("rerun_apptest", lambda: bench_rerun(scale, list(PAGES), repeats=7 if args.quick else 21)),
        ("payload", lambda: bench_payload(scale)),
        (
            "first_chart",
            lambda: bench_first_chart(
                {"bundled": None, f"{scale // 1000}k": gen.ensure(WORK, scale)},
                repeats=3 if args.quick else 9,
                ws_pages_for=f"{scale // 1000}k",
            ),
        ),
        ("memory", lambda: bench_memory(gen.ensure(WORK, scale), sessions=5 if args.quick else 20)),
        (
            "loadtest",
            lambda: bench_loadtest(
                {"bundled": None, f"{scale // 1000}k": gen.ensure(WORK, scale)},
                5 if args.quick else args.load_clients,
                duration,
                rounds=1 if args.quick else 2,
            ),
        ),
    ]
    for name, fn in steps:
        key = "first" if name == "first_chart" else name
        if key not in only or (name in ("first_chart", "memory") and not browser_ok):
            continue
        log(f"== {name}")
        t = time.time()
        try:
            results[name] = fn()
        except Exception as exc:  # noqa: BLE001 - one failed measure must not lose the others
            import traceback

            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        results.setdefault("step_seconds", {})[name] = round(time.time() - t, 1)
        _write(Path(args.out), {**results, "complete": False})  # a killed run keeps what it measured
    results["environment"]["loadavg_end"] = list(os.getloadavg())
    results["total_seconds"] = round(time.time() - started, 1)
    results["table_markdown"] = table({k: v for k, v in results.items() if not (isinstance(v, dict) and "error" in v)})

    results["complete"] = True
    out = Path(args.out)
    _write(out, results)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    shutil.copy(out, out.with_name(f"{stamp}{'-quick' if args.quick else ''}.json"))
    print(results["table_markdown"])
    print(f"\n{results['total_seconds']} s; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
