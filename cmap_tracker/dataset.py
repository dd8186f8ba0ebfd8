"""A loaded dataset: the typed frame plus the indexes the filters need, built once per data version and
shared read-only by every session and thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_string_dtype

from . import plan as _plan
from .derived import per_object
from .report import LoadResult
from .themes import theme_index

# The columns the pages draw; the detail card and the exports read the rest from the whole frame.
VIEW_COLUMNS = (
    "id",
    "title",
    "title_fr",
    "title_es",
    "pillar",
    "sector",
    "status",
    "start_date",
    "end_date",
    "milestone",
    "themes",
    "lead_canada",
    "lead_mexico",
    "source_url",
    "last_updated",
)
# Text columns that usually repeat: in the view they are categoricals when at most half their values are
# distinct, so filtering takes integer codes and counting needs no factorising.
CATEGORY_COLUMNS = ("sector", "themes", "lead_canada", "lead_mexico", "source_url")


@dataclass(frozen=True, eq=False)
class Dataset:
    """The loaded data, read-only. ``search`` is built on first use (seconds at a million rows), once,
    under a lock; the other derived values are kept with ``derived.per_object``."""

    result: LoadResult
    themes: pd.DataFrame = field(repr=False)
    _search: pd.Series | None = field(default=None, repr=False)
    span_end: pd.Series = field(default=None, repr=False)  # end date, else start for milestones, else plan end
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.span_end is None:
            object.__setattr__(self, "span_end", _span_end(self.frame, self.plan.horizon(self.frame)))

    @property
    def search(self) -> pd.Series:
        """Folded id + titles + descriptions of each row (``vocab.fold`` of the joined text)."""
        if self._search is None:
            with self._lock:
                if self._search is None:
                    object.__setattr__(self, "_search", search_index(self.frame))
        return self._search

    @property
    def search_ready(self) -> bool:
        return self._search is not None

    @property
    def frame(self) -> pd.DataFrame:
        return self.result.frame

    @property
    def plan(self) -> _plan.Plan:
        """The plan the pillars were checked against."""
        return self.result.plan or _plan.bundled()

    @property
    def view(self) -> pd.DataFrame:
        """The frame's ``VIEW_COLUMNS``, same rows and index, repeating text as categoricals."""
        return per_object(self, "view", lambda: _view_of(self.frame))

    @property
    def sectors(self) -> list[str]:
        return list(per_object(self, "sectors", lambda: tuple(sorted(self.frame["sector"].unique().tolist()))))

    @property
    def theme_slugs(self) -> list[str]:
        """Themes present, most frequent first."""
        return list(per_object(self, "theme_slugs", lambda: tuple(self.themes["theme"].value_counts().index.tolist())))

    @property
    def as_of(self) -> date | None:
        latest = per_object(self, "as_of", lambda: self.frame["last_updated"].max())
        return None if pd.isna(latest) else latest.date()


# ------------------------------------------------------------ search text

TEXT_COLUMNS = ("id", "title", "title_fr", "title_es", "description", "description_fr", "description_es")
_SEP = pa.scalar(" ", pa.large_string())
# A run of characters outside [a-z0-9] that is not already one space (a lone
# space is left alone: matching every space too took 2.7x as long at 1M rows).
_SEPARATOR_RUN = "[^a-z0-9 ][^a-z0-9]*| [^a-z0-9]+"


def _decomposed(values: pa.Array) -> pa.Array:
    """NFKD without non-spacing marks ('É' -> 'E', 'ﬁ' -> 'fi'), computed for the non-ASCII values only."""
    other = pc.fill_null(pc.invert(pc.string_is_ascii(values)), False)
    if not pc.any(other).as_py():
        return values
    part = pc.replace_substring_regex(pc.utf8_normalize(pc.filter(values, other), "NFKD"), r"\p{Mn}+", "")
    return pc.replace_with_mask(values, other, part)


def fold_rows(columns: list[pa.Array]) -> pa.Array:
    """``vocab.fold`` of each row's values joined by spaces (a missing value counts as '')."""
    joined = pc.binary_join_element_wise(
        *(_decomposed(c) for c in columns), _SEP, null_handling="replace", null_replacement=""
    )
    spaced = pc.replace_substring_regex(pc.utf8_lower(joined), _SEPARATOR_RUN, " ")
    return pc.utf8_trim(spaced, " ")


def search_index(frame: pd.DataFrame) -> pd.Series:
    """``Dataset.search``: the folded text columns of each row, as ``str``."""
    columns = [pa.array(frame[c], type=pa.large_string(), from_pandas=True) for c in TEXT_COLUMNS if c in frame]
    columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    folded = fold_rows(columns) if columns else pa.array([""] * len(frame), pa.large_string())
    return pd.Series(pd.array(folded, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=frame.index)


@lru_cache(maxsize=256)
def search_key(query: str) -> str:
    """``query`` folded as ``search_index`` folds the rows. Kept: folding one compiles the patterns (~2 ms)."""
    return fold_rows([pa.array([query], pa.large_string())])[0].as_py()


def _view_of(frame: pd.DataFrame) -> pd.DataFrame:
    view = frame[[c for c in VIEW_COLUMNS if c in frame]]
    cats = {c: pd.Categorical(view[c]) for c in CATEGORY_COLUMNS if c in view and is_string_dtype(view[c].dtype)}
    cols = {c: cat for c, cat in cats.items() if len(cat.categories) <= len(cat) // 2}
    return view.assign(**cols) if cols else view


def _text_in_one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its non-categorical view text columns (id, titles) as one Arrow chunk each: taking rows
    from one chunk is about twice as fast. Done to the frame itself, so the view shares these columns."""
    cols = {}
    for c in VIEW_COLUMNS:
        if c not in frame or c in CATEGORY_COLUMNS or not is_string_dtype(frame[c].dtype):
            continue
        to_arrow = getattr(frame[c].array, "__arrow_array__", None)
        arr = to_arrow() if to_arrow else None
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks > 1:
            cols[c] = pd.array(pa.chunked_array([arr.combine_chunks()]), dtype=frame[c].dtype)
    return frame.assign(**cols) if cols else frame


def _span_end(frame: pd.DataFrame, horizon: pd.Timestamp) -> pd.Series:
    end = frame["end_date"].where(frame["end_date"].notna(), frame["start_date"].where(frame["milestone"]))
    return end.fillna(horizon)


def build(result: LoadResult) -> Dataset:
    """The dataset of a load result. The search index is left for first use (``Dataset.search``)."""
    frame = _text_in_one_chunk(result.frame)
    if frame is not result.frame:
        result = replace(result, frame=frame)
    return Dataset(result, theme_index(frame))
