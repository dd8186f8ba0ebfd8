"""A loaded dataset: the typed frame plus the indexes the filters need.

Built once per data version and shared read-only by every session, so a rerun
never reloads, re-validates or copies the frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .contract import PLAN_END
from .loader import LoadResult, theme_index
from .vocab import fold


@dataclass(frozen=True, eq=False)
class Dataset:
    result: LoadResult
    themes: pd.DataFrame = field(repr=False)  # long (row, theme)
    search: pd.Series = field(repr=False)  # folded id + titles + descriptions
    span_end: pd.Series = field(repr=False)  # end date, else start for milestones, else plan end

    @property
    def frame(self) -> pd.DataFrame:
        return self.result.frame

    @property
    def sectors(self) -> list[str]:
        return sorted(self.frame["sector"].unique().tolist())

    @property
    def theme_slugs(self) -> list[str]:
        counts = self.themes["theme"].value_counts()
        return counts.index.tolist()

    @property
    def as_of(self) -> date | None:
        lu = self.frame["last_updated"].dropna()
        return lu.max().date() if len(lu) else None


def build(result: LoadResult) -> Dataset:
    frame = result.frame
    text_cols = [c for c in ("id", "title", "title_fr", "title_es", "description",
                             "description_fr", "description_es") if c in frame]
    joined = frame[text_cols].fillna("").agg(" ".join, axis=1) if len(frame) else pd.Series([], dtype=str)
    uniq = pd.Series(joined.unique())
    folded = joined.map(dict(zip(uniq, uniq.map(fold))))
    end = frame["end_date"].copy()
    end = end.where(end.notna(), frame["start_date"].where(frame["milestone"]))
    end = end.fillna(pd.Timestamp(PLAN_END))
    return Dataset(result, theme_index(frame), folded.astype(str), end)


def row_mask(ds: Dataset, theme: set[str] | frozenset[str]) -> np.ndarray:
    """Boolean mask of rows carrying any of ``theme`` (vectorised)."""
    rows = ds.themes.loc[ds.themes["theme"].isin(theme), "row"].to_numpy()
    mask = np.zeros(len(ds.frame), dtype=bool)
    mask[rows] = True
    return mask
