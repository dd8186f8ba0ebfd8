"""Dated snapshots of the dataset: finding and loading them, the rows each one
refused, the burn-up across them, and the sidebar filters as a row filter.

A snapshot is a full CSV under the same contract as ``data/initiatives.csv``, saved
as ``data/snapshots/YYYY-MM-DD.csv``; the name is its as-of date. What changed
between two of them is ``changes.diff``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path

import numpy as np
import pandas as pd

from . import csv_careful
from .derived import per_object
from .loader import load
from .report import REJECTED, LoadError, LoadResult
from .sources import decode, normalise_header, read_source, sniff_delimiter
from .vocab import PILLARS

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = ROOT / "data" / "snapshots"


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
    for part in result.issue_frames():  # every issue, not only the first DETAIL_ROWS of each reason
        part = part[part["outcome"] == REJECTED]
        for line, column, value, reason in zip(part["line"], part["column"], part["value"], part["reason"]):
            line = None if pd.isna(line) else int(line)
            reasons.setdefault(line, []).append(reason)
            if column == "id" and value:
                ids[line] = value
    if path is not None:
        try:
            text, _ = decode(read_source(path, limit=None))
            raw, lines, _ = csv_careful.parse(text, sniff_delimiter(text))
            raw.columns = [normalise_header(c) for c in raw.columns]
            if "id" in raw.columns:
                by_line = dict(zip(lines.tolist(), raw["id"].str.strip()))
                for line in reasons:
                    if by_line.get(line):
                        ids.setdefault(line, by_line[line])
        except (LoadError, OSError):
            pass  # the lines are still reported, without ids
    return tuple(
        Rejected(date, line, ids.get(line, ""), "; ".join(r))
        for line, r in sorted(reasons.items(), key=lambda kv: kv[0] or 0)
    )


def usable(s: Snapshot) -> pd.DataFrame:
    if s.result.fatal is not None:
        raise ValueError(f"Snapshot {s.date} could not be loaded: {s.result.fatal.text()}")
    return s.result.frame


def kept_mask(frame: pd.DataFrame, keep: Keep | None) -> np.ndarray:
    if keep is None:
        return np.ones(len(frame), dtype=bool)
    mask = np.asarray(keep(frame), dtype=bool)
    if mask.shape != (len(frame),):
        raise ValueError("keep() must return one boolean per row of the frame it is given")
    return mask


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
        return pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "pillar": pd.Series(dtype=object),
                "total": pd.Series(dtype=int),
                "completed": pd.Series(dtype=int),
            }
        )[cols]
    per: list[tuple[dict, dict]] = []  # per snapshot: pillar -> total, pillar -> completed
    for s in snaps:
        f = usable(s)
        m = kept_mask(f, keep)
        names, inv, done = _pillars_and_done(f)
        total = np.bincount(inv[m], minlength=len(names))
        completed = np.bincount(inv[m], weights=done[m], minlength=len(names))
        present = np.flatnonzero(total)  # pillars with kept rows in this snapshot
        per.append(({names[i]: int(total[i]) for i in present}, {names[i]: completed[i] for i in present}))
    seen: set[str] = set().union(*(t for t, _c in per))
    pillars = [p for p in PILLARS.slugs if p in seen] + sorted(seen - set(PILLARS.slugs))
    dates = [s.date for s in snaps]
    return pd.DataFrame(
        {
            "date": pd.to_datetime([d for d in dates for _p in pillars]),
            "pillar": [p for _d in dates for p in pillars],
            "total": np.array([t.get(p, 0) for t, _c in per for p in pillars], dtype=int),
            "completed": np.array([int(c.get(p, 0)) for _t, c in per for p in pillars], dtype=int),
        }
    )[cols]


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
