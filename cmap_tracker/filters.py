"""The one ``Filters`` object every page shares, and what it means for the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .dataset import Dataset, search_key
from .derived import per_object
from .plan import current
from .themes import row_mask
from .vocab import STATUSES, THEMES

Translator = Callable[[str], str]

# Views (filter combinations) kept per dataset, shared by every session that shows them: as
# many as fit in about a million rows of filtered copies (256 for a small plan, 10 at 100k rows).
VIEW_ROWS_BUDGET = 1_000_000


def views_kept(rows: int) -> int:
    """How many views of a frame of ``rows`` rows are kept, most recent first."""
    return max(2, min(256, VIEW_ROWS_BUDGET // max(rows, 1)))


def _coded(ds: Dataset, column: str) -> tuple[np.ndarray, dict[str, int]]:
    """``column`` as integer codes (-1 for empty) and each value's code, once per frame: a
    lookup by code takes 0.02 ms where ``Series.isin`` took 0.3 ms a column (51 rows)."""

    def compute():
        codes, uniques = pd.factorize(ds.frame[column].to_numpy(dtype=object))
        codes.flags.writeable = False
        return codes, {v: i for i, v in enumerate(uniques.tolist())}

    return per_object(ds.frame, ("codes", column), compute)


@dataclass(frozen=True)
class Filters:
    pillar: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    def is_empty(self) -> bool:
        return self == Filters()

    def mask(self, ds: Dataset) -> np.ndarray:
        """Which rows of ``ds.frame`` pass, read-only and shared by every session that asks."""
        return per_object(ds.frame, ("mask", self), lambda: self._mask(ds), recent=views_kept(len(ds.frame)))

    def _mask(self, ds: Dataset) -> np.ndarray:
        df = ds.frame
        m = np.ones(len(df), dtype=bool)
        for column, chosen in (("pillar", self.pillar), ("sector", self.sector), ("status", self.status)):
            if chosen:
                codes, index = _coded(ds, column)
                wanted = np.zeros(len(index) + 1, dtype=bool)  # the last slot: an empty cell (code -1)
                wanted[[index[v] for v in chosen if v in index]] = True
                m &= wanted[codes]
        if self.theme:
            m &= row_mask(ds, frozenset(self.theme))
        if self.date_to:
            m &= (df["start_date"] <= pd.Timestamp(self.date_to)).to_numpy()
        if self.date_from:
            m &= (ds.span_end >= pd.Timestamp(self.date_from)).to_numpy()
        if self.q.strip():
            m &= ds.search.str.contains(search_key(self.q), regex=False).to_numpy()
        m.flags.writeable = False
        return m

    def apply(self, ds: Dataset, *, whole: bool = False) -> pd.DataFrame:
        """The rows in view of ``ds.view`` (or, ``whole``, of every column, for a download: not kept). The
        frame is shared by every session showing this view: never modify it."""
        frame = ds.frame if whole else ds.view
        if self.is_empty():
            return frame
        if whole:
            return frame[self.mask(ds)]
        return per_object(ds.frame, ("rows", self), lambda: frame[self.mask(ds)], recent=views_kept(len(frame)))

    def describe(
        self,
        shown: int,
        total: int,
        tr: Translator = lambda s: s,
        fmt_date: Callable[[date], str] = date.isoformat,
        fmt_int: Callable[[int], str] = str,
    ) -> str:
        """The filters in words: 'Security · In progress · 7 of 52 initiatives', for the locale."""
        parts: list[str] = []
        if self.pillar:
            plan = current()  # its labels are in the current language; ``tr`` leaves them be
            parts.append(", ".join(tr(plan.pillar_label(p)) for p in plan.pillars.slugs if p in self.pillar))
        if self.sector:
            parts.append(", ".join(self.sector))
        if self.status:
            parts.append(", ".join(tr(STATUSES.label(s)) for s in STATUSES.slugs if s in self.status))
        if self.theme:
            parts.append(", ".join(tr(THEMES.label(t)) for t in self.theme))
        if self.date_from or self.date_to:
            parts.append(" – ".join(fmt_date(d) if d else "…" for d in (self.date_from, self.date_to)))
        if self.q.strip():
            parts.append(f"“{self.q.strip()}”")
        parts.append(tr("{shown} of {total} initiatives").format(shown=fmt_int(shown), total=fmt_int(total)))
        return " · ".join(parts)
