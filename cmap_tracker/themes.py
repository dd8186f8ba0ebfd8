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
from .derived import per_object, shared
from .vocab import THEME_SLUG, THEMES, fold

if TYPE_CHECKING:
    from .dataset import Dataset


def theme_slug(raw: str) -> str:
    key = fold(raw)
    return THEMES.lookup.get(key) or key.replace(" ", "_")


def parse_themes(raw: str, slug: Callable[[str], str] = theme_slug) -> str:
    """A cell's theme slugs, valid and each once, in order, joined by ';'."""
    parts = (slug(p) for p in re.split(r"[;|]", raw))
    return ";".join(dict.fromkeys(p for p in parts if p and THEME_SLUG.match(p)))


def theme_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Long (row, theme) table, a row once per theme, so theme filters and counts are vectorised. Each distinct
    cell is split once (a file has a few thousand theme combinations), then expanded to the rows with numpy."""
    col = frame["themes"]
    arr = pa.array(col, type=pa.large_string(), from_pandas=True)
    arr = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    codes, values = dictionary(pc.fill_null(arr, "") if arr.null_count else arr)
    lists = pc.split_pattern(values, ";")
    flat = pc.list_flatten(lists)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    pieces = flat.filter(pa.array(keep))
    per_value = np.bincount(pc.list_parent_indices(lists).to_numpy()[keep], minlength=len(values))
    first_piece = np.cumsum(per_value) - per_value
    per_row = per_value[codes]
    first_out = np.cumsum(per_row) - per_row
    which = np.repeat(first_piece[codes] - first_out, per_row) + np.arange(int(per_row.sum()))
    # a categorical over the distinct themes (sorted): integer codes, no string copied per row
    piece_codes, names = pd.factorize(pieces.to_numpy(zero_copy_only=False), sort=True)
    theme = pd.Categorical.from_codes(piece_codes[which], categories=pd.Index(names, dtype=col.dtype))
    return pd.DataFrame({"row": np.repeat(frame.index.to_numpy(), per_row), "theme": theme})


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
    """(position into ``df``, theme code) of every (row, theme) pair of the rows in ``df``, and the theme names the
    codes index. Kept while ``df`` lives: a page draws several theme charts of the same rows."""

    def compute():
        rows, codes, names = _codes(themes)
        size = int(max(rows.max(initial=-1), df.index.max() if len(df) else -1)) + 1
        where = np.full(size, -1, dtype=np.int64)
        where[df.index.to_numpy()] = np.arange(len(df))
        pos = where[rows]
        sel = pos >= 0
        out = pos[sel], codes[sel], names
        for a in out:
            a.flags.writeable = False  # shared with later callers
        return out

    return per_object(df, ("theme_pairs", id(themes)), compute)


@shared
def with_themes(ds: Dataset, df: pd.DataFrame, chosen: Iterable[str]) -> pd.DataFrame:
    """The rows of ``df`` (rows of ``ds.frame``, with its index) carrying any of ``chosen`` (shared: read only)."""
    pos, codes, names = theme_pairs(df, ds.themes)
    keep = np.zeros(len(df), dtype=bool)
    keep[pos[carrying(codes, names, chosen)]] = True
    return df.take(np.flatnonzero(keep))
