"""The data a session sees: the shared dataset (cached once per data version for every
session), an upload kept in this session only, and the dated snapshots."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from .. import changes, i18n, loader, metrics, plan, report, safe, snapshots
from .. import dataset as dataset_mod
from ..dataset import Dataset
from ..derived import per_object
from ..filters import views_kept
from ..i18n import _
from ..mapping import Mapping, read_mapping_source
from ..sources import public_name
from .url import ASOF_KEY

if TYPE_CHECKING:
    from .run import Ctx


ROOT = Path(__file__).resolve().parents[2]

DEFAULT_DATA = ROOT / "data" / "initiatives.csv"


def data_source() -> str:
    """``DASHBOARD_DATA`` (a path or an http(s) URL), else the bundled CSV."""
    return os.environ.get("DASHBOARD_DATA", "").strip() or str(DEFAULT_DATA)


def plan_source() -> str:
    """``DASHBOARD_PLAN`` (a plan file's path or http(s) URL); empty for the bundled plan."""
    return os.environ.get("DASHBOARD_PLAN", "").strip()


def mapping_source() -> str:
    """``DASHBOARD_MAPPING`` (a path or an http(s) URL of a mapping file for that data file), else ''."""
    return os.environ.get("DASHBOARD_MAPPING", "").strip()


def _version(source: str) -> tuple:
    """Cache key part that changes when the data changes (mtime+size, or a
    10-minute bucket for URLs), so a replaced file is served on the next rerun."""
    if safe.http_url(source):
        return ("url", int(pd.Timestamp.now().timestamp() // 600))
    try:
        st_ = os.stat(source)
        return ("file", st_.st_mtime_ns, st_.st_size)
    except OSError:
        return ("missing",)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_shared(source: str, version: tuple, plan_file: str, mapping_file: str, files: tuple) -> Dataset:
    # Shared, read-only, across sessions: cache_resource hands out the same
    # object (cache_data would copy the frame for every session and rerun).
    # A file other than the bundled one, with no plan file, may declare its own pillars.
    open_pillars = not plan_file and source != str(DEFAULT_DATA)
    chosen = plan_file or plan.bundled()
    try:
        mapping = read_mapping_source(mapping_file) if mapping_file else None
    except report.LoadError as exc:  # a bad mapping file: the data is not loaded, and the page says why
        return dataset_mod.build(loader.failed(exc, source))
    return dataset_mod.build(loader.load(source, limit=None, plan=chosen, open_pillars=open_pillars, mapping=mapping))


def load_default() -> Dataset:
    source, plan_file, mapping_file = data_source(), plan_source(), mapping_source()
    files = tuple(_version(f) for f in (plan_file, mapping_file) if f)  # a changed plan or mapping reloads
    return _load_shared(source, _version(source), plan_file, mapping_file, files)


def snapshot_dir() -> Path | None:
    """The snapshots of the served plan: data/snapshots for the bundled plan, a ``snapshots`` folder next to
    a local DASHBOARD_PLAN file, none for a plan read from a URL or declared by the file's own pillars."""
    if load_default().plan is plan.bundled():
        return snapshots.SNAPSHOT_DIR
    plan_file = plan_source()  # empty when the file's own pillars are served
    return Path(plan_file).parent / "snapshots" if plan_file and not safe.http_url(plan_file) else None


def _snapshot_version(directory: Path | None) -> tuple:
    try:
        return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.csv"))) if directory else ()
    except OSError:
        return ()


@st.cache_resource(max_entries=2, show_spinner=False)
def _snapshots_shared(directory: Path | None, version: tuple) -> tuple[snapshots.Snapshot, ...]:
    return tuple(snapshots.load_snapshots(directory, plan=load_default().plan)) if directory and version else ()


def all_snapshots() -> tuple[snapshots.Snapshot, ...]:
    """Every dated snapshot of the served plan (shared across sessions; reloaded when a file changes)."""
    directory = snapshot_dir()
    return _snapshots_shared(directory, _snapshot_version(directory))


def loaded_dates(snaps: tuple[snapshots.Snapshot, ...]) -> list[str]:
    """The dates a view can be of: those of the snapshots that loaded."""
    return [s.date for s in snaps if s.result.ok]


def snapshot_dataset(snap: snapshots.Snapshot) -> Dataset:
    """A snapshot as a dataset: another data version, shared like the current file's while the snapshot is kept."""
    return per_object(snap, "dataset", lambda: dataset_mod.build(snap.result))


def dataset(snaps: tuple[snapshots.Snapshot, ...] | None = None) -> tuple[Dataset, bool]:
    """This session's data: its upload, else the snapshot it views as of a date (among ``snaps``, by default
    every snapshot), else the latest data."""
    ss = st.session_state
    up = ss.get("upload")
    if up is not None:
        return up, True
    asof = ss.get(ASOF_KEY)
    if asof:
        snap = next((s for s in (all_snapshots() if snaps is None else snaps) if s.date == asof), None)
        if snap is not None:
            return snapshot_dataset(snap), False
        ss[ASOF_KEY] = None  # the snapshot file has gone since: the latest data
    return load_default(), False


def matching_snapshot(ds: Dataset, every: tuple[snapshots.Snapshot, ...]) -> str | None:
    """The date of the newest snapshot of ``every`` holding exactly the rows of ``ds``, if one does: a view of the
    latest data that a dated link reproduces."""
    snaps = [s for s in every if s.result.ok]
    if not snaps:
        return None
    newest = snaps[-1]
    same = per_object((ds, newest), "same rows", lambda: ds.frame.reset_index(drop=True).equals(newest.frame))
    return newest.date if same else None


def set_upload(name: str, data: bytes, mapping: Mapping | None = None) -> report.LoadResult:
    """Parse an upload into this session only (never written to disk), through ``mapping`` if given; its
    pillars are the plan's, or its own when they are mostly not the plan's. An upload is shown instead of any
    snapshot, so a successful one leaves the view as of a date."""
    result = loader.load(data, name=name, mapping=mapping, plan=load_default().plan, open_pillars=True)
    if result.ok:
        st.session_state["upload"] = dataset_mod.build(result)
        st.session_state[ASOF_KEY] = None
        st.session_state["upload_file"] = (name, data)  # kept to read it again through another mapping
    return result


def upload_file() -> tuple[str, bytes] | None:
    """(name, bytes) of the upload in view, kept in this session only; None without one."""
    return st.session_state.get("upload_file")


def stale_days() -> int:
    """``DASHBOARD_STALE_DAYS`` (a positive whole number, else ``metrics.STALE_DAYS``): how old ``last_updated``
    may be before a row is "not checked since" it."""
    text = os.environ.get("DASHBOARD_STALE_DAYS", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else metrics.STALE_DAYS


def correction_template() -> str:
    """``DASHBOARD_CORRECTION_URL``: the "Suggest a correction" link's URL template ("" when off)."""
    return os.environ.get("DASHBOARD_CORRECTION_URL", "").strip()


def clear_upload() -> None:
    st.session_state.pop("upload", None)
    st.session_state.pop("upload_file", None)


def public_text(issue: report.Issue) -> str:
    """An issue's message with any file path shortened by public_name(), and every
    value from the file (a header, a cell) cut to safe.NOTICE_CHARS."""
    params = tuple(
        (k, public_name(str(v)) if k == "source" else safe.clip(safe.plain(v)) if isinstance(v, str) else v)
        for k, v in issue.params
    )
    return dataclasses.replace(issue, params=params).text(_)


def _keep(ctx: Ctx):
    """The sidebar filters as a row filter for snapshots (None when nothing filters)."""
    return None if ctx.filters.is_empty() else snapshots.keep_from_filters(ctx.filters)


def snapshot_diff(ctx: Ctx, a: snapshots.Snapshot, b: snapshots.Snapshot) -> changes.Diff:
    """``a`` against ``b`` under the sidebar filters, shared by every session with those filters."""
    compute = lambda: changes.diff(a, b, keep=_keep(ctx))  # noqa: E731
    return per_object((a, b), ("diff", ctx.filters), compute, recent=views_kept(len(b.frame)))


def burnup(ctx: Ctx, snaps: tuple[snapshots.Snapshot, ...]) -> pd.DataFrame:
    """Completed and total per pillar at each snapshot, under the sidebar filters (shared)."""
    compute = lambda: snapshots.burnup(list(snaps), keep=_keep(ctx))  # noqa: E731
    return per_object(snaps, ("burnup", ctx.filters), compute, recent=views_kept(len(snaps[-1].frame)))


def since_last_update(ctx: Ctx) -> str | None:
    """'Since 1 Jun 2026: +1 completed, 0 delayed, 1 added' for the two newest snapshots (up to the one in view)."""
    asof = ctx.view.asof
    snaps = [s for s in ctx.snapshots if s.result.ok and (not asof or s.date <= asof)]
    if len(snaps) < 2 or ctx.uploaded:
        return None
    n = changes.diff_summary(snapshot_diff(ctx, snaps[-2], snaps[-1]))
    return _(
        "Since {date}: +{completed} completed, {delayed} delayed, {added} added, {slipped} with a later end date."
    ).format(date=i18n.fmt_date(date.fromisoformat(snaps[-2].date)), **{k: i18n.fmt_int(v) for k, v in n.items()})
