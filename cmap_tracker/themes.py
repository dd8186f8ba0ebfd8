"""Themes: a cell's theme slugs (``parse_themes``), the long (row, theme) index of a
frame (``theme_index``), and which rows carry which themes, answered on its codes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_text import dictionary
from .derived import per_object
from .vocab import THEME_SLUG, THEMES, fold

if TYPE_CHECKING:
    from .dataset import Dataset


def theme_slug(raw: str) -> str:
    key = fold(raw)
    if not key:
        return ""
    known = THEMES.lookup.get(key)
    return known or key.replace(" ", "_")


def parse_themes(raw: str, slug: Callable[[str], str] = theme_slug) -> str:
    parts = [slug(p) for p in re.split(r"[;|]", raw)]
    seen: list[str] = []
    for p in parts:
        if p and THEME_SLUG.match(p) and p not in seen:
            seen.append(p)
    return ";".join(seen)


def theme_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Long (row, theme) table so theme filters and counts are vectorised.

    Multi-theme rows appear once per theme."""
    col = frame["themes"]
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        arr = pa.array(col)
        arr = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
        if not arr.null_count:
            return _theme_index_coded(arr, frame.index.to_numpy(), col.dtype)
    exploded = col.str.split(";").explode()
    exploded = exploded[exploded.notna() & (exploded != "")]
    return pd.DataFrame(
        {"row": exploded.index.to_numpy(), "theme": _categories(exploded.to_numpy(dtype=object), col.dtype)}
    )


def _categories(values: np.ndarray, dtype) -> pd.Categorical:
    """Theme names as a categorical with sorted categories (the same from every path)."""
    codes, names = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=None if dtype is object else dtype))


def _theme_index_coded(arr: pa.ChunkedArray, index: np.ndarray, dtype) -> pd.DataFrame:
    """``theme_index`` splitting each distinct value once (a file has a few
    thousand theme combinations), then expanding to the rows with numpy."""
    codes, values = dictionary(arr)
    lists = pc.split_pattern(values, ";")
    flat = pc.list_flatten(lists)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    pieces = flat.filter(pa.array(keep))
    per_value = np.bincount(pc.list_parent_indices(lists).to_numpy()[keep], minlength=len(values))
    first_piece = np.cumsum(per_value) - per_value
    per_row = per_value[codes]
    first_out = np.cumsum(per_row) - per_row
    total = int(per_row.sum())
    which = np.repeat(first_piece[codes] - first_out, per_row) + np.arange(total)
    # a categorical over the distinct themes: integer codes, no string copied per row
    piece_codes, names = pd.factorize(pieces.to_numpy(zero_copy_only=False), sort=True)
    theme = pd.Categorical.from_codes(piece_codes[which], categories=pd.Index(names, dtype=dtype))
    return pd.DataFrame({"row": np.repeat(index, per_row), "theme": theme})


def _codes(themes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, theme code, theme names) of a theme index, once per index."""

    def compute():
        theme = themes["theme"].astype("category")
        return themes["row"].to_numpy(), theme.cat.codes.to_numpy(), np.asarray(theme.cat.categories, dtype=object)

    return per_object(themes, "codes", compute)


def carrying(codes: np.ndarray, names: np.ndarray, chosen: Iterable[str]) -> np.ndarray:
    """Which (row, theme) pairs, given as theme ``codes`` into ``names``, are one of ``chosen``."""
    return np.isin(codes, np.flatnonzero(np.isin(names, list(chosen))))


def row_mask(ds: Dataset, chosen: Iterable[str]) -> np.ndarray:
    """Boolean mask over ``ds.frame`` of the rows carrying any of ``chosen``."""
    rows, codes, names = _codes(ds.themes)
    mask = np.zeros(len(ds.frame), dtype=bool)
    mask[rows[carrying(codes, names, chosen)]] = True
    return mask


def theme_pairs(df: pd.DataFrame, themes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position into ``df``, theme code) of every (row, theme) pair of the rows in
    ``df``, and the theme names the codes index. ``themes`` is the dataset's long
    (row, theme) index; ``df`` a subset of its frame. A page draws several theme
    charts of the same rows: the answer is kept while ``df`` lives (``themes``
    belongs to the same dataset, so it lives at least as long)."""

    def compute():
        out = _pairs_of(df, themes)
        for a in out:
            a.flags.writeable = False  # shared with later callers
        return out

    return per_object(df, ("theme_pairs", id(themes)), compute)


def _pairs_of(df: pd.DataFrame, themes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, codes, names = _codes(themes)
    size = int(max(rows.max(initial=-1), df.index.max() if len(df) else -1)) + 1
    where = np.full(size, -1, dtype=np.int64)
    where[df.index.to_numpy()] = np.arange(len(df))
    pos = where[rows]
    sel = pos >= 0
    return pos[sel], codes[sel], names


def with_themes(ds: Dataset, df: pd.DataFrame, chosen: Iterable[str]) -> pd.DataFrame:
    """The rows of ``df`` (rows of ``ds.frame``, with its index) carrying any of ``chosen``,
    from the (row, theme) pairs of ``df``, which the page's theme charts have found."""
    pos, codes, names = theme_pairs(df, ds.themes)
    keep = np.zeros(len(df), dtype=bool)
    keep[pos[carrying(codes, names, chosen)]] = True
    return df.take(np.flatnonzero(keep))
