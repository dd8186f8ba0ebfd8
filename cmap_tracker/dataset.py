"""A loaded dataset: the typed frame plus the indexes the filters need.

Built once per data version and shared read-only by every session, so a rerun
never reloads, re-validates or copies the frame. The text-search index is
built on first use (``Dataset.search``).
"""
from __future__ import annotations

import codecs
import dataclasses
import threading
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import metrics
from .contract import PLAN_END
from .loader import LoadResult, theme_index
from .vocab import fold


VIEW_COLUMNS = ("id", "title", "title_fr", "title_es", "pillar", "sector", "status", "start_date", "end_date",
                "milestone", "themes", "lead_canada", "lead_mexico", "source_url")
"""The columns the pages draw. The rest (descriptions, notes, confidence, extra
columns) are read from the whole frame: by the detail card and the exports."""
CATEGORY_COLUMNS = ("sector", "themes", "lead_canada", "lead_mexico", "source_url")
"""Text columns that usually repeat, held in the view as categoricals (sorted) when at
most half their values are distinct: filtering then takes integer codes instead of
strings, and counting needs no factorising."""


class Dataset:
    """The loaded data, shared read-only by every session (and thread).

    ``search`` (the folded id + titles + descriptions, one string per row) is
    built on first use: only a text query needs it, and at a million rows it
    costs several seconds. It is built once, under a lock, whichever session
    asks first; the others wait for it and get the same Series.

    Immutable from the outside, like the frozen dataclass it replaces, and
    constructed the same way: ``Dataset(result, themes, search, span_end)``
    (``search`` may be None: built when first read).
    """

    __slots__ = ("result", "themes", "span_end", "_search", "_lock", "_memo")

    def __init__(self, result: LoadResult, themes: pd.DataFrame, search: pd.Series | None = None,
                 span_end: pd.Series | None = None) -> None:
        if span_end is None:
            span_end = _span_end(result.frame)
        for name, value in (("result", result), ("themes", themes), ("span_end", span_end),
                            ("_search", search), ("_lock", threading.Lock()), ("_memo", {})):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        return f"Dataset(result={self.result!r})"

    def __getstate__(self) -> dict:  # a lock cannot be pickled or copied: a fresh one is made
        return {"result": self.result, "themes": self.themes, "span_end": self.span_end, "_search": self._search}

    def __setstate__(self, state: dict) -> None:
        for name in ("result", "themes", "span_end", "_search"):
            object.__setattr__(self, name, state[name])
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_memo", {})

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
        return self._once("view", lambda: _view_of(self.frame))

    def _once(self, name: str, compute):
        """A value derived from the (immutable) data, computed on first use and kept:
        the sidebar asks for these on every rerun."""
        memo = self._memo
        if name not in memo:
            memo.setdefault(name, compute())
        return memo[name]

    @property
    def sectors(self) -> list[str]:
        return list(self._once("sectors", lambda: tuple(sorted(self.frame["sector"].unique().tolist()))))

    @property
    def theme_slugs(self) -> list[str]:
        """Themes present, most frequent first."""
        return list(self._once("theme_slugs", lambda: tuple(self.themes["theme"].value_counts().index.tolist())))

    @property
    def as_of(self) -> date | None:
        def latest():
            lu = self.frame["last_updated"].dropna()
            return lu.max().date() if len(lu) else None
        return self._once("as_of", latest)


# ------------------------------------------------------------ search text
#
# ``search`` holds ``fold(" ".join(text columns))`` for each row. Folding row by
# row in Python costs ~1 minute per million rows, so it is vectorised with the
# same result, character for character (tests/test_scale.py checks every code
# point against vocab.fold):
#
# * fold = NFKD, drop combining marks (canonical combining class != 0), lower,
#   every run of characters outside [a-z0-9] -> one space, strip. NFKD works
#   character by character (canonical reordering only moves combining marks,
#   which are dropped), so what fold does to a non-ASCII character depends on
#   that character alone (``_char_action``): it vanishes, becomes one ASCII
#   letter or digit ('é' -> 'e'), or holds no ASCII letter or digit and only
#   separates words (no non-ASCII character lower-cases into [a-z0-9]).
# * So the rows are joined in Arrow and folded as UTF-8 bytes with numpy
#   (``_fold_chunk``): each distinct non-ASCII character is looked up once with
#   Python's ``unicodedata``; the rare one NFKD turns into several ASCII
#   characters ('ﬁ' -> 'fi') sends its row to ``vocab.fold`` itself.
# * Small frames skip all this: ``_fold_text`` (== vocab.fold) per distinct value.

_SMALL = 5_000  # rows; below this the plain path is as fast and has no set-up cost
_CHUNK_BYTES = 1 << 25  # bytes folded per numpy pass (bounds temporary memory)
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
# byte -> folded byte: A-Z -> a-z, a-z and 0-9 kept, every other byte (incl. UTF-8) -> space
_BYTE_FOLD = bytes((b if b in _ALNUM else (b + 32 if 65 <= b <= 90 else 32)) for b in range(256))
_BYTE_LUT = np.frombuffer(_BYTE_FOLD, dtype=np.uint8)
_SPACE = 32


def _fold_errors(exc: UnicodeError) -> tuple[str, int]:
    """ASCII encode error handler: drop combining marks, any other character becomes a space."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    part = exc.object[exc.start:exc.end]
    return "".join("" if unicodedata.combining(ch) else " " for ch in part), exc.end


codecs.register_error("cmap_tracker.fold", _fold_errors)


def _fold_text(text: str) -> str:
    """``vocab.fold`` for one string, several times faster (C-level encode/translate, no regex)."""
    data = unicodedata.normalize("NFKD", text).encode("ascii", "cmap_tracker.fold")
    return b" ".join(data.translate(_BYTE_FOLD).split()).decode("ascii")


def _text_values(values: pd.Series) -> list:
    """The column as Python values, missing ones as '' (what fillna("") gives " ".join)."""
    return ["" if not isinstance(v, str) and pd.isna(v) else v for v in values.tolist()]


def _search_small(frame: pd.DataFrame, text_cols: list[str]) -> pd.Series:
    """Plain Python: for a small frame (a snapshot filtered on every rerun) pandas'
    per-call overhead costs more than the folding itself."""
    rows = [" ".join(vals) for vals in zip(*(_text_values(frame[c]) for c in text_cols))]
    seen: dict[str, str] = {}
    folded = [seen[r] if r in seen else seen.setdefault(r, _fold_text(r)) for r in rows]
    return pd.Series(folded, index=frame.index, dtype=object)


def _utf8(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets relative to the first value, UTF-8 bytes) of a large_string array without nulls."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]] if len(arr) else \
        np.zeros(0, dtype=np.uint8)
    return offsets - offsets[0], data


_SPACE_LIKE, _DROP, _ONE_BYTE, _COMPLEX = 0, 1, 2, 3
_CHAR_ACTIONS: dict[int, tuple[int, int]] = {}  # code point -> (action, ASCII byte for _ONE_BYTE)


def _char_action(cp: int) -> tuple[int, int]:
    """What fold does to one non-ASCII character (NFKD, then combining marks dropped):
    nothing left (_DROP), exactly one ASCII letter or digit (_ONE_BYTE), no ASCII
    letter or digit (_SPACE_LIKE: it only separates words), else _COMPLEX ('ﬁ' -> 'fi')."""
    hit = _CHAR_ACTIONS.get(cp)
    if hit is None:
        rest = "".join(ch for ch in unicodedata.normalize("NFKD", chr(cp)) if not unicodedata.combining(ch))
        alnum = [ch for ch in rest if ch.isascii() and ch.isalnum()]
        if not rest:
            hit = (_DROP, 0)
        elif not alnum:
            hit = (_SPACE_LIKE, 0)
        elif len(rest) == 1:
            hit = (_ONE_BYTE, ord(rest))
        else:
            hit = (_COMPLEX, 0)
        _CHAR_ACTIONS[cp] = hit
    return hit


def _fold_chunk(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fold() of UTF-8 values -> (new offsets, folded bytes, values fold must redo in Python)."""
    n = len(offsets) - 1
    t = np.frombuffer(bytearray(memoryview(data)).translate(_BYTE_FOLD), dtype=np.uint8)  # non-ASCII bytes -> space
    redo = np.zeros(n, dtype=bool)
    lead = np.flatnonzero(data >= 0xC0)  # first byte of each non-ASCII character
    if len(lead):
        first = data[lead]
        width = np.where(first >= 0xF0, 4, np.where(first >= 0xE0, 3, 2))
        cp = (first & np.where(width == 2, 0x1F, np.where(width == 3, 0x0F, 0x07))).astype(np.int64)
        for k in range(1, 4):
            more = width > k
            cp[more] = (cp[more] << 6) | (data[lead[more] + k] & 0x3F)
        uniq, inverse = np.unique(cp, return_inverse=True)
        acts = np.array([_char_action(int(c)) for c in uniq], dtype=np.int64).reshape(-1, 2)
        action, byte = acts[inverse, 0], acts[inverse, 1]
        one = action == _ONE_BYTE
        if one.any():
            t[lead[one]] = _BYTE_LUT[byte[one]]
        gone = (action == _DROP) | one
        if (action == _COMPLEX).any():
            redo[np.searchsorted(offsets, lead[action == _COMPLEX], side="right") - 1] = True
        if gone.any():  # drop the marks, and the continuation bytes of replaced characters
            keep = np.ones(len(t), dtype=bool)
            drop_start = np.where(one, lead + 1, lead)[gone]
            drop_len = np.where(one, width - 1, width)[gone]
            for k in range(4):
                sel = drop_len > k
                keep[drop_start[sel] + k] = False
            dropped = np.flatnonzero(~keep)  # few: count them per value
            owner = np.searchsorted(offsets, dropped, side="right") - 1
            kept = np.diff(offsets) - np.bincount(owner, minlength=n)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(kept, out=offsets[1:])
            t = t[keep]
    new_off, out = _collapse(offsets, t)
    return new_off, out, redo


def _collapse(offsets: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Folded bytes (a-z, 0-9, space) -> one space between words, none at the ends."""
    sp = t == _SPACE
    keep = np.empty(len(t), dtype=bool)  # first: "previous byte is a space or the value starts here"
    if len(t):
        keep[0] = True
        keep[1:] = sp[:-1]
        starts = offsets[:-1]
        keep[starts[starts < len(t)]] = True
    np.logical_and(keep, sp, out=keep)
    np.logical_not(keep, out=keep)
    out = t[keep]
    lengths = np.diff(offsets)
    full = lengths > 0
    kept = np.zeros(len(lengths), dtype=np.int64)
    if full.any():  # reduceat over the starts of non-empty values: each sum ends where the value ends
        kept[full] = np.add.reduceat(keep, offsets[:-1][full], dtype=np.int64)
    new_off = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(kept, out=new_off[1:])
    # a value whose last byte is a space kept exactly one space for that run: its last byte
    ends = offsets[1:]
    nonempty = ends > offsets[:-1]
    trail = np.zeros(len(ends), dtype=bool)
    trail[nonempty] = sp[ends[nonempty] - 1]
    trail &= new_off[1:] > new_off[:-1]
    if trail.any():
        cut = np.zeros(len(out), dtype=bool)
        cut[new_off[1:][trail] - 1] = True
        out = out[~cut]
        removed = np.concatenate([[0], np.cumsum(trail)])
        new_off = new_off - removed
    return new_off, out


def _fold_array(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """fold() of every value of a large_string array (no nulls), in chunks of
    about _CHUNK_BYTES; and a mask of the values left for vocab.fold."""
    offsets, data = _utf8(arr)
    pieces_off, pieces, redo = [np.zeros(1, dtype=np.int64)], [], []
    total, row, n = 0, 0, len(arr)
    while row < n:
        stop = int(np.searchsorted(offsets, offsets[row] + _CHUNK_BYTES, side="right"))
        stop = min(max(stop - 1, row + 1), n)
        off = offsets[row: stop + 1]
        new_off, out, again = _fold_chunk(off - off[0], data[off[0]: off[-1]])
        pieces_off.append(new_off[1:] + total)
        pieces.append(out)
        redo.append(again)
        total += len(out)
        row = stop
    flat_off = np.concatenate(pieces_off)
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
    mask = np.concatenate(redo) if redo else np.zeros(0, dtype=bool)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(flat_off), pa.py_buffer(flat)), mask


def _search_arrow(frame: pd.DataFrame, text_cols: list[str]) -> pd.Series:
    if not all(pd.api.types.is_string_dtype(frame[c]) for c in text_cols):
        return _search_small(frame, text_cols)  # not all text: it fails there as " ".join would
    parts = []
    for c in text_cols:
        arr = pa.array(frame[c].fillna(""), type=pa.large_string())
        parts.append(pc.fill_null(arr, "") if arr.null_count else arr)
    joined = pc.binary_join_element_wise(*parts, pa.scalar(" ", pa.large_string())) if len(parts) > 1 else parts[0]
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    folded, redo = _fold_array(joined.cast(pa.large_string()))
    out = pd.Series(pd.array(folded, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=frame.index)
    if redo.any():  # a character NFKD turns into several ('ﬁ' -> 'fi'): vocab.fold itself
        again = [fold(s) for s in pc.filter(joined, pa.array(redo)).to_pylist()]
        out = out.astype(object)
        out[redo] = again
    return out


def search_text(frame: pd.DataFrame, text_cols: list[str]) -> pd.Series:
    """``fold(" ".join(row[c] for c in text_cols))`` for every row (see the note above)."""
    if not text_cols:
        return pd.Series("", index=frame.index, dtype=str)
    if len(frame) >= _SMALL:
        try:
            return _search_arrow(frame, text_cols)
        except (pa.ArrowException, ValueError, TypeError, UnicodeError):  # odd input: the plain path
            pass
    return _search_small(frame, text_cols)


TEXT_COLUMNS = ("id", "title", "title_fr", "title_es", "description", "description_fr", "description_es")


def search_index(frame: pd.DataFrame) -> pd.Series:
    """``Dataset.search``: fold(" ".join(text columns)) per row, as ``str``."""
    text_cols = [c for c in TEXT_COLUMNS if c in frame]
    if len(frame):
        folded = search_text(frame, text_cols)
    else:
        joined = pd.Series([], dtype=str)
        uniq = pd.Series(joined.unique())
        folded = joined.map(dict(zip(uniq, uniq.map(fold))))
    return folded.astype(str)


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


def row_mask(ds: Dataset, theme: set[str] | frozenset[str]) -> np.ndarray:
    """Boolean mask of rows carrying any of ``theme`` (vectorised, on the theme index's codes)."""
    rows, codes, names = ds._once("theme_codes", lambda: (
        ds.themes["row"].to_numpy(), ds.themes["theme"].cat.codes.to_numpy(),
        np.asarray(ds.themes["theme"].cat.categories, dtype=object)))
    mask = np.zeros(len(ds.frame), dtype=bool)
    mask[rows[metrics.carrying(codes, names, theme)]] = True
    return mask


def with_themes(ds: Dataset, df: pd.DataFrame, themes) -> pd.DataFrame:
    """The rows of ``df`` (rows of ``ds.frame``, with its index) carrying any of ``themes``.
    From the (row, theme) pairs of ``df``, which the page's theme charts have found."""
    pos, codes, names = metrics.theme_pairs(df, ds.themes)
    keep = np.zeros(len(df), dtype=bool)
    keep[pos[metrics.carrying(codes, names, themes)]] = True
    return df.take(np.flatnonzero(keep))
