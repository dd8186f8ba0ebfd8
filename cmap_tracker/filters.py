"""The one ``Filters`` object every page shares, and what it means for the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .dataset import Dataset, search_key
from .themes import row_mask
from .vocab import PILLARS, STATUSES, THEMES

Translator = Callable[[str], str]


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
        df = ds.frame
        m = np.ones(len(df), dtype=bool)
        for column, chosen in (("pillar", self.pillar), ("sector", self.sector), ("status", self.status)):
            if chosen:
                m &= df[column].isin(chosen).to_numpy()
        if self.theme:
            m &= row_mask(ds, frozenset(self.theme))
        if self.date_to:
            m &= (df["start_date"] <= pd.Timestamp(self.date_to)).to_numpy()
        if self.date_from:
            m &= (ds.span_end >= pd.Timestamp(self.date_from)).to_numpy()
        if self.q.strip():
            m &= ds.search.str.contains(search_key(self.q), regex=False).to_numpy()
        return m

    def apply(self, ds: Dataset, *, whole: bool = False, mask: np.ndarray | None = None) -> pd.DataFrame:
        """The rows in view of ``ds.view`` (or, ``whole``, of every column); the shared frame itself when nothing
        filters. ``mask``: this filter's ``mask(ds)``, when the caller already has it."""
        frame = ds.frame if whole else ds.view
        return frame if self.is_empty() else frame[self.mask(ds) if mask is None else mask]

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
            parts.append(", ".join(tr(PILLARS.label(p)) for p in PILLARS.slugs if p in self.pillar))
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
