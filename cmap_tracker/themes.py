"""Which rows carry which themes: questions asked of a dataset's long (row, theme)
index (``loader.theme_index``), answered on its integer codes."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .derived import per_object

if TYPE_CHECKING:
    from .dataset import Dataset


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
