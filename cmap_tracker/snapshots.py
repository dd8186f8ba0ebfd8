"""Dated snapshots of the dataset and what changed between two of them.

A snapshot is a full CSV under the same contract as ``data/initiatives.csv``,
saved as ``data/snapshots/YYYY-MM-DD.csv``; the name is its as-of date. Each
one records only what was known on that date, so comparing two snapshots shows
how the plan moved: rows added, removed, edited, completed, delayed, slipped.

Pure pandas, no Streamlit. Rows are matched by ``id`` only: a new title under
the same id is an edit, never an add plus a remove.

Rejected rows (a row the loader refused, e.g. a bad pillar) are *reported* in
``Diff.unmatched_rejected`` and never counted: a row rejected in ``until`` is
not "removed", and a row rejected in ``since`` is not "added" when it later
loads cleanly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .derived import per_object
from .loader import (REJECTED, LoadError, LoadResult, _parse_careful, decode, load,
                     normalise_header, read_source, sniff_delimiter)
from .vocab import PILLARS

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = ROOT / "data" / "snapshots"

COMPARED = ("status", "start_date", "end_date", "pillar", "sector", "themes")
# Fields reported in ``Diff.changes``, in this order.
FIELDS = ("title",) + COMPARED

_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.csv$")

Keep = Callable[[pd.DataFrame], "pd.Series | np.ndarray"]


def _valid_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        _date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------- loading


def list_snapshots(directory: str | Path = SNAPSHOT_DIR) -> list[str]:
    """ISO dates of the snapshots in ``directory``, oldest first.

    Only regular files named exactly ``YYYY-MM-DD.csv`` with a real calendar
    date count; anything else (``latest.csv``, ``2026-02-30.csv``,
    ``2026-1-5.csv``, a directory) is ignored. A missing directory gives ``[]``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    dates = []
    for p in directory.iterdir():
        m = _NAME.match(p.name)
        if m and _valid_date(m.group(1)) and p.is_file():
            dates.append(m.group(1))
    return sorted(dates)


@dataclass(frozen=True)
class Rejected:
    """A row of a snapshot file that the loader refused."""

    date: str  # the snapshot it comes from
    line: int | None  # CSV line number (header = 1)
    id: str  # '' when the id could not be read
    reason: str  # the loader's reasons, joined with '; '


@dataclass(frozen=True, eq=False)
class Snapshot:
    date: str
    result: LoadResult
    # Rejected rows with their ids recovered from the file; filled by
    # ``load_snapshot``. Left empty, they are derived from the result (see
    # ``rejected_rows``). A rejected row whose id cannot be recovered (a load
    # from bytes, a ragged line) is still reported by line, but then cannot
    # be told apart from a removal.
    rejected: tuple[Rejected, ...] = ()

    @property
    def frame(self) -> pd.DataFrame:
        return self.result.frame

    def rejected_rows(self) -> tuple[Rejected, ...]:
        """``rejected`` if filled, else derived from the load result (ids read
        back from ``result.source`` when it names a local file)."""
        if self.rejected or not self.result.rejected_rows:
            return self.rejected
        source = Path(self.result.source)
        return _rejected(self.date, self.result, source if source.is_file() else None)


def load_snapshot(date: str, directory: str | Path = SNAPSHOT_DIR) -> Snapshot:
    """Load ``directory/<date>.csv`` through the ordinary loader.

    Raises ``ValueError`` for a malformed date and ``FileNotFoundError`` when
    there is no such snapshot. A file that exists but cannot be read as the
    contract asks comes back with ``result.fatal`` set (``result.ok`` False),
    as the loader does for any file.
    """
    if not _valid_date(date):
        raise ValueError(f"Not a snapshot date (YYYY-MM-DD): {date!r}")
    path = Path(directory) / f"{date}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"No snapshot for {date} in {directory}")
    result = load(path, limit=None)
    rejected = _rejected(date, result, path) if result.rejected_rows else ()
    return Snapshot(date, result, rejected)


def load_snapshots(directory: str | Path = SNAPSHOT_DIR) -> list[Snapshot]:
    """Every snapshot in ``directory``, oldest first."""
    return [load_snapshot(d, directory) for d in list_snapshots(directory)]


def _rejected(date: str, result: LoadResult, path: Path | None) -> tuple[Rejected, ...]:
    """One ``Rejected`` per refused line. The loader reports lines, not ids,
    so the ids are read back from the file with the loader's own parser (the
    careful one, whose line numbers are the ones the loader reports)."""
    reasons: dict[int | None, list[str]] = {}
    ids: dict[int | None, str] = {}
    for issue in result.issues:
        if issue.kind != REJECTED:
            continue
        reasons.setdefault(issue.line, []).append(issue.text())
        if issue.column == "id" and issue.value:
            ids[issue.line] = issue.value
    if path is not None:
        try:
            text, _ = decode(read_source(path, limit=None))
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            raw, lines, _ = _parse_careful(text, sniff_delimiter(text))
            raw.columns = [normalise_header(c) for c in raw.columns]
            if "id" in raw.columns:
                by_line = dict(zip(lines.tolist(), raw["id"].str.strip()))
                for line in reasons:
                    if by_line.get(line):
                        ids.setdefault(line, by_line[line])
        except (LoadError, OSError):
            pass  # the lines are still reported, without ids
    return tuple(Rejected(date, line, ids.get(line, ""), "; ".join(r))
                 for line, r in sorted(reasons.items(), key=lambda kv: kv[0] or 0))


def _usable(s: Snapshot) -> pd.DataFrame:
    if not s.result.ok:
        raise ValueError(f"Snapshot {s.date} could not be loaded: {s.result.fatal.text()}")
    return s.result.frame


def _kept(frame: pd.DataFrame, keep: Keep | None) -> np.ndarray:
    if keep is None:
        return np.ones(len(frame), dtype=bool)
    mask = np.asarray(keep(frame), dtype=bool)
    if mask.shape != (len(frame),):
        raise ValueError("keep() must return one boolean per row of the frame it is given")
    return mask


# ------------------------------------------------------------------------ diff


@dataclass(frozen=True, eq=False)
class Diff:
    """What changed from snapshot ``since`` to snapshot ``until``.

    Rules:

    * Rows are matched by ``id``. ``added`` are rows of ``until`` whose id is
      not in ``since``; ``removed`` are rows of ``since`` whose id is not in
      ``until``. An id rejected by the loader in the other file is neither
      added nor removed: it is listed in ``unmatched_rejected``.
    * ``changes`` is long: one row per (id, field) that differs, for ``title``
      and the ``COMPARED`` fields, with ``before``/``after`` as text (dates
      ISO, '' for empty) and ``title`` from ``until``. Themes are compared as
      sets: reordering ``ip;energy`` to ``energy;ip`` is not a change.
    * ``status_flow``: ids present in both with a different status.
    * ``slippage``: ids whose end date exists in both and moved later;
      ``days`` > 0. An end date appearing, disappearing or moving earlier is
      only in ``changes``.
    * ``completions``: ids with status ``completed`` in ``until`` that either
      had another status in ``since`` or are new in ``until`` (``before`` is
      then ''). Rows already completed in ``since`` are not completions.
    * With a row filter (``keep``), a row takes part when it passes the filter
      in either snapshot, and matching still uses every row: a row whose
      pillar changes out of the filter shows as a ``pillar`` change, not as
      removed. Rejected rows cannot be filtered and are always reported.
    """

    since: str
    until: str
    added: pd.DataFrame
    removed: pd.DataFrame
    changes: pd.DataFrame  # id, title, field, before, after
    status_flow: pd.DataFrame  # id, before, after
    slippage: pd.DataFrame  # id, title, before_end, after_end, days
    completions: pd.DataFrame  # id, title, pillar, before
    unmatched_rejected: list[Rejected]

    def is_empty(self) -> bool:
        """No row added, removed or changed. Rejected rows are reported, not
        counted, so two identical files with the same bad row diff empty."""
        return self.added.empty and self.removed.empty and self.changes.empty

    def only(self, ids: set[str]) -> "Diff":
        """The same comparison restricted to rows whose id is in ``ids``
        (rejected rows are always reported)."""
        return self._select(lambda frame: frame["id"].isin(ids).to_numpy())

    def _select(self, keep) -> "Diff":
        """The rows of each table for which ``keep(table)`` is True."""
        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:  # the frames are never modified: nothing to copy
                return frame
            mask = keep(frame)
            return frame if mask.all() else frame.iloc[np.flatnonzero(mask)].reset_index(drop=True)

        return Diff(self.since, self.until, pick(self.added), pick(self.removed), pick(self.changes),
                    pick(self.status_flow), pick(self.slippage), pick(self.completions),
                    list(self.unmatched_rejected))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The FIELDS of ``frame`` as plain strings, indexed by id."""
    out = {}
    for c in FIELDS:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out, index=pd.Index(frame["id"].to_numpy(dtype=object), name="id"))


def _theme_key(themes: pd.Series) -> pd.Series:
    uniq = themes.unique()
    table = {u: ";".join(sorted(p for p in str(u).split(";") if p)) for u in uniq}
    return themes.map(table)


def diff(a: Snapshot, b: Snapshot, keep: Keep | None = None) -> Diff:
    """Compare snapshot ``a`` (since, normally the earlier) with ``b`` (until).

    ``keep`` optionally selects rows (e.g. the dashboard's pillar/theme
    filters): it gets each snapshot's frame and returns one bool per row. See
    ``Diff`` for the rules. Raises ``ValueError`` if either snapshot failed to
    load (``result.fatal``).

    The comparison of every row is computed once per pair of snapshots and
    cached; ``keep`` then only selects ids from it. A row takes part when it
    is kept in either snapshot, so that selection is the same as filtering
    first (ids are unique within a loaded snapshot).
    """
    full = per_object((a, b), "diff", lambda: _diff_all(a, b))
    if keep is None:
        return full
    fa, fb = _usable(a), _usable(b)
    # A trailing False, so a row absent from a side (position -1) is not kept by it;
    # this holds when a side has no usable row at all.
    ka, kb = np.append(_kept(fa, keep), False), np.append(_kept(fb, keep), False)
    where = _rows_in(full, fa, fb)

    def kept(table: pd.DataFrame) -> np.ndarray:  # kept in either snapshot
        pa, pb = where[id(table)]
        return ka[pa] | kb[pb]

    return full._select(kept)


def _rows_in(full: Diff, fa: pd.DataFrame, fb: pd.DataFrame) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """For each table of a whole-file diff: each row's position in ``a``'s and in
    ``b``'s frame (-1 where absent), found once per diff (ids are unique in a
    loaded snapshot), so a filtered diff is a lookup into the two keep masks."""
    def positions() -> dict[int, tuple[np.ndarray, np.ndarray]]:
        ia, ib = pd.Index(fa["id"]), pd.Index(fb["id"])
        return {id(t): (ia.get_indexer(t["id"]), ib.get_indexer(t["id"]))
                for t in (full.added, full.removed, full.changes, full.status_flow, full.slippage, full.completions)
                if not t.empty}

    return per_object(full, "rows_in", positions)


def _diff_all(a: Snapshot, b: Snapshot) -> Diff:
    """Every row of ``a`` against every row of ``b``."""
    fa, fb = _usable(a), _usable(b)
    ka, kb = _kept(fa, None), _kept(fb, None)
    rej_a, rej_b = a.rejected_rows(), b.rejected_rows()
    rej_ids_a = {r.id for r in rej_a if r.id}
    rej_ids_b = {r.id for r in rej_b if r.id}

    ids_a, ids_b = fa["id"], fb["id"]
    in_b = ids_a.isin(ids_b).to_numpy()
    in_a = ids_b.isin(ids_a).to_numpy()

    removed = fa[~in_b & ka & ~ids_a.isin(rej_ids_b).to_numpy()].reset_index(drop=True)
    added = fb[~in_a & kb & ~ids_b.isin(rej_ids_a).to_numpy()].reset_index(drop=True)

    # Rows in both, in until's order; taking part if kept on either side.
    kept_a_ids = set(ids_a[ka])
    both_b = fb[in_a & (kb | ids_b.isin(kept_a_ids).to_numpy())]
    common = both_b["id"]
    both_a = fa.set_index("id").loc[common].reset_index()

    ta, tb = _as_text(both_a), _as_text(both_b)
    ca, cb = ta.copy(), tb.copy()
    ca["themes"], cb["themes"] = _theme_key(ta["themes"]), _theme_key(tb["themes"])
    differs = ca.ne(cb).stack()
    pairs = differs[differs].index
    before, after = ta.stack().loc[pairs], tb.stack().loc[pairs]
    title_now = tb["title"]
    changes = pd.DataFrame({
        "id": pairs.get_level_values(0).astype(object),
        "title": title_now.loc[pairs.get_level_values(0)].to_numpy(),
        "field": pairs.get_level_values(1).astype(object),
        "before": before.to_numpy(),
        "after": after.to_numpy(),
    })

    st_a, st_b = ta["status"], tb["status"]
    moved = st_a.ne(st_b).to_numpy()
    status_flow = pd.DataFrame({"id": tb.index[moved].to_numpy(), "before": st_a[moved].to_numpy(),
                                "after": st_b[moved].to_numpy()})

    end_a = both_a["end_date"].to_numpy()
    end_b = both_b["end_date"].to_numpy()
    later = ~pd.isna(end_a) & ~pd.isna(end_b) & (end_b > end_a)
    slippage = pd.DataFrame({
        "id": common[later].to_numpy(),
        "title": both_b["title"][later].to_numpy(),
        "before_end": pd.to_datetime(end_a[later]),
        "after_end": pd.to_datetime(end_b[later]),
    })
    slippage["days"] = (slippage["after_end"] - slippage["before_end"]).dt.days.astype(int)

    done_now = (st_b == "completed").to_numpy() & (st_a != "completed").to_numpy()
    new_done = added[added["status"] == "completed"]
    completions = pd.DataFrame({
        "id": np.concatenate([tb.index[done_now].to_numpy(), new_done["id"].to_numpy()]),
        "title": np.concatenate([tb["title"][done_now].to_numpy(), new_done["title"].to_numpy()]),
        "pillar": np.concatenate([tb["pillar"][done_now].to_numpy(), new_done["pillar"].astype(str).to_numpy()]),
        "before": np.concatenate([st_a[done_now].to_numpy(), np.full(len(new_done), "", dtype=object)]),
    })

    return Diff(a.date, b.date, added, removed, changes, status_flow, slippage, completions,
                [*rej_a, *rej_b])


def diff_summary(d: Diff) -> dict[str, int]:
    """Counts for a headline. ``changed`` counts ids with at least one field
    change (not field changes); ``delayed`` counts ids that became 'delayed'
    (status change to delayed, or added already delayed), like ``completed``."""
    became_delayed = int((d.status_flow["after"] == "delayed").sum()) + int((d.added["status"] == "delayed").sum())
    return {
        "added": len(d.added),
        "removed": len(d.removed),
        "completed": len(d.completions),
        "delayed": became_delayed,
        "slipped": len(d.slippage),
        "changed": int(d.changes["id"].nunique()),
    }


# ---------------------------------------------------------------------- burnup


def burnup(snapshots: Iterable[Snapshot], keep: Keep | None = None) -> pd.DataFrame:
    """Per snapshot date and pillar: ``total`` rows and ``completed`` rows.

    ``date`` is a datetime64 column, ``pillar`` the slug, in plan order. Every
    pillar that has rows in any snapshot appears at every date (0 when empty),
    so lines do not break; pillars with no rows anywhere are left out.
    """
    snaps = sorted(snapshots, key=lambda s: s.date)
    cols = ["date", "pillar", "total", "completed"]
    if not snaps:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "pillar": pd.Series(dtype=object),
                             "total": pd.Series(dtype=int), "completed": pd.Series(dtype=int)})[cols]
    per: list[tuple[dict, dict]] = []  # per snapshot: pillar -> total, pillar -> completed
    for s in snaps:
        f = _usable(s)
        m = _kept(f, keep)
        names, inv, done = _pillars_and_done(f)
        total = np.bincount(inv[m], minlength=len(names))
        completed = np.bincount(inv[m], weights=done[m], minlength=len(names))
        seen = np.flatnonzero(total)  # pillars with kept rows in this snapshot
        per.append(({names[i]: int(total[i]) for i in seen}, {names[i]: completed[i] for i in seen}))
    seen = set().union(*(t for t, _c in per))
    pillars = [p for p in PILLARS.slugs if p in seen] + sorted(seen - set(PILLARS.slugs))
    dates = [s.date for s in snaps]
    return pd.DataFrame({
        "date": pd.to_datetime([d for d in dates for _p in pillars]),
        "pillar": [p for _d in dates for p in pillars],
        "total": np.array([t.get(p, 0) for t, _c in per for p in pillars], dtype=int),
        "completed": np.array([int(c.get(p, 0)) for _t, c in per for p in pillars], dtype=int),
    })[cols]


def _pillars_and_done(frame: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(pillar names, each row's pillar as an index into them, completed or not), once
    per snapshot frame."""
    def compute():
        names, inv = np.unique(frame["pillar"].astype(str).to_numpy(), return_inverse=True)
        return names.tolist(), inv.reshape(-1), (frame["status"] == "completed").to_numpy(dtype=bool)

    return per_object(frame, "pillars_and_done", compute)


# ------------------------------------------------------------------ filters


def keep_from_filters(filters) -> Keep:
    """A ``keep`` callable applying a ``filters.Filters`` to a snapshot frame,
    so the dashboard's current filters can narrow a diff or a burnup. It
    remembers its mask per frame, so a diff and a burnup drawn with the same
    ``keep`` filter each snapshot once."""
    masks: dict[int, tuple[pd.DataFrame, np.ndarray]] = {}

    def keep(frame: pd.DataFrame) -> np.ndarray:
        hit = masks.get(id(frame))
        if hit is None or hit[0] is not frame:
            mask = filters.mask(_dataset_of(frame))
            mask.flags.writeable = False  # shared by every caller of this keep
            hit = masks[id(frame)] = (frame, mask)
        return hit[1]

    return keep


def _dataset_of(frame: pd.DataFrame):
    """The filter indexes of a snapshot frame, built once per frame object."""
    from .dataset import build

    def compute():
        flat = frame.reset_index(drop=True)
        return build(LoadResult(flat, [], len(flat), "snapshot"))

    return per_object(frame, "dataset", compute)
