"""A loaded dataset: the typed frame plus the indexes the filters need, built once
per data version and shared read-only by every session and thread."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import PLAN_END
from .derived import per_object
from .report import LoadResult
from .themes import theme_index

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
)
"""The columns the pages draw. The rest (descriptions, notes, confidence, extra
columns) are read from the whole frame: by the detail card and the exports."""
CATEGORY_COLUMNS = ("sector", "themes", "lead_canada", "lead_mexico", "source_url")
"""Text columns that usually repeat, held in the view as categoricals (sorted) when at
most half their values are distinct: filtering then takes integer codes instead of
strings, and counting needs no factorising."""


class Dataset:
    """The loaded data, shared read-only by every session and thread: no attribute
    can be set or deleted. ``Dataset(result, themes, search=None, span_end=None)``.

    ``search`` (the folded id + titles + descriptions, one string per row) is built
    on first use: only a text query needs it, and at a million rows it takes
    seconds. It is built once, under a lock, whichever session asks first; the
    others wait for it and get the same Series. The other derived values (``view``,
    ``sectors``, ``theme_slugs``, ``as_of``) are kept with ``derived.per_object``.
    """

    __slots__ = ("result", "themes", "span_end", "_search", "_lock", "__weakref__")

    # Set once in __init__ with object.__setattr__ (the slots above; no defaults, as __slots__ requires).
    result: LoadResult
    themes: pd.DataFrame
    span_end: pd.Series
    _search: pd.Series | None
    _lock: threading.Lock

    def __init__(
        self,
        result: LoadResult,
        themes: pd.DataFrame,
        search: pd.Series | None = None,
        span_end: pd.Series | None = None,
    ) -> None:
        if span_end is None:
            span_end = _span_end(result.frame)
        for name, value in (
            ("result", result),
            ("themes", themes),
            ("span_end", span_end),
            ("_search", search),
            ("_lock", threading.Lock()),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        return f"Dataset(result={self.result!r})"

    @property
    def search(self) -> pd.Series:
        """Folded id + titles + descriptions of each row (``vocab.fold`` of the joined text)."""
        folded = self._search
        if folded is None:
            with self._lock:
                folded = self._search
                if folded is None:
                    folded = search_index(self.frame)
                    object.__setattr__(self, "_search", folded)
        return folded

    @property
    def search_ready(self) -> bool:
        """Whether ``search`` has been built (for tests and diagnostics)."""
        return self._search is not None

    @property
    def frame(self) -> pd.DataFrame:
        return self.result.frame

    @property
    def view(self) -> pd.DataFrame:
        """The frame's ``VIEW_COLUMNS`` (same rows and index): what the pages chart and
        list, built once per data version. The repeating text columns are new
        categorical arrays; the others are the frame's own. Filtering takes only
        these, several times cheaper at 100k rows than taking the long text too."""
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
        def latest():
            lu = self.frame["last_updated"].dropna()
            return lu.max().date() if len(lu) else None

        return per_object(self, "as_of", latest)


# ------------------------------------------------------------ search text

TEXT_COLUMNS = ("id", "title", "title_fr", "title_es", "description", "description_fr", "description_es")
_SEP = pa.scalar(" ", pa.large_string())
# A run of characters outside [a-z0-9] that is not already one space (a lone
# space is left alone: matching every space too took 2.7x as long at 1M rows).
_SEPARATOR_RUN = "[^a-z0-9 ][^a-z0-9]*| [^a-z0-9]+"


def _text(values: pd.Series) -> pa.Array:
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _decomposed(values: pa.Array) -> pa.Array:
    """NFKD without non-spacing marks ('É' -> 'E', 'ﬁ' -> 'fi'), computed for the
    values that are not plain ASCII only (NFKD leaves ASCII as it is)."""
    other = pc.fill_null(pc.invert(pc.string_is_ascii(values)), False)
    if not pc.any(other).as_py():
        return values
    part = pc.replace_substring_regex(pc.utf8_normalize(pc.filter(values, other), "NFKD"), r"\p{Mn}+", "")
    return pc.replace_with_mask(values, other, part)


def fold_rows(columns: list[pa.Array]) -> pa.Array:
    """``vocab.fold`` of each row's values joined by spaces (a missing value counts
    as ''): marks dropped, lower-cased, every run outside [a-z0-9] one space, trimmed."""
    joined = pc.binary_join_element_wise(
        *(_decomposed(c) for c in columns), _SEP, null_handling="replace", null_replacement=""
    )
    spaced = pc.replace_substring_regex(pc.utf8_lower(joined), _SEPARATOR_RUN, " ")
    return pc.utf8_trim(spaced, " ")


def search_index(frame: pd.DataFrame) -> pd.Series:
    """``Dataset.search``: the folded text columns of each row, as ``str``."""
    columns = [_text(frame[c]) for c in TEXT_COLUMNS if c in frame]
    folded = fold_rows(columns) if columns else pa.array([""] * len(frame), pa.large_string())
    return pd.Series(pd.array(folded, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=frame.index)


@lru_cache(maxsize=256)
def search_key(query: str) -> str:
    """``query`` folded as ``search_index`` folds the rows, so a row's own text finds it.
    Kept per query: folding one takes ~2 ms (compiling the patterns), on every rerun."""
    return fold_rows([pa.array([query], pa.large_string())])[0].as_py()


def _view_of(frame: pd.DataFrame) -> pd.DataFrame:
    view = frame[[c for c in VIEW_COLUMNS if c in frame]]
    cols = {}
    for c in CATEGORY_COLUMNS:
        if c in view and pd.api.types.is_string_dtype(view[c].dtype):
            cat = pd.Categorical(view[c])
            if len(cat.categories) <= len(cat) // 2:
                cols[c] = cat
    return view.assign(**cols) if cols else view


def _text_in_one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the text columns pages take rows from on every filter change
    (id, titles) as one Arrow chunk each: taking rows from one chunk is about twice
    as fast as from the pieces a file is read in. Done to the frame itself, so the
    view shares these columns instead of holding a second copy."""
    cols = {}
    for c in VIEW_COLUMNS:
        if c in frame and c not in CATEGORY_COLUMNS:
            one = _one_chunk(frame[c])
            if one is not None:
                cols[c] = one
    return frame.assign(**cols) if cols else frame


def _one_chunk(s: pd.Series) -> pd.Series | None:
    """An Arrow-backed string column as a single chunk (None if it is not one, or already is)."""
    to_arrow = getattr(s.array, "__arrow_array__", None)
    if not pd.api.types.is_string_dtype(s.dtype) or to_arrow is None:
        return None
    arr = to_arrow()
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks <= 1:
        return None
    return pd.Series(pd.array(pa.chunked_array([arr.combine_chunks()]), dtype=s.dtype), index=s.index, name=s.name)


def _span_end(frame: pd.DataFrame) -> pd.Series:
    """End date, else start for milestones, else plan end."""
    end = frame["end_date"].copy()
    end = end.where(end.notna(), frame["start_date"].where(frame["milestone"]))
    return end.fillna(pd.Timestamp(PLAN_END))


def build(result: LoadResult) -> Dataset:
    """The dataset of a load result. The search index is left for first use (``Dataset.search``)."""
    frame = _text_in_one_chunk(result.frame)
    if frame is not result.frame:
        result = dataclasses.replace(result, frame=frame)
    return Dataset(result, theme_index(frame), None, _span_end(frame))
