"""A loaded dataset: the typed frame plus the indexes the filters need.

Built once per data version and shared read-only by every session, so a rerun
never reloads, re-validates or copies the frame.
"""
from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


# ------------------------------------------------------------ search text
#
# ``search`` holds ``fold(" ".join(text columns))`` for each row. Folding row by
# row in Python costs ~1 minute per million rows, so it is vectorised with the
# same result, character for character:
#
# * fold = NFKD, drop combining marks (canonical combining class != 0), lower,
#   every run of characters outside [a-z0-9] -> one space, strip. After NFKD
#   and dropping marks no non-ASCII character lower-cases to [a-z0-9] (checked
#   for every code point in tests/test_scale.py), so the last three steps only
#   need ASCII rules and run on UTF-8 bytes with numpy (``_byte_fold``): a
#   non-ASCII character's bytes all become spaces, which collapse anyway.
# * NFKD decomposes character by character; canonical reordering only moves
#   combining marks, which are dropped. So NFKD + dropping marks can run per
#   column (Arrow's utf8_normalize), and only on values that are not ASCII.
# * Arrow's Unicode tables may be newer or older than Python's: each distinct
#   non-ASCII character is checked against ``unicodedata`` first, and a row
#   holding a character they disagree on (or one unassigned in Python's table)
#   is folded by ``vocab.fold`` itself.
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


def _search_small(frame: pd.DataFrame, text_cols: list[str]) -> pd.Series:
    cols = [frame[c].fillna("").astype(str) for c in text_cols]
    joined = cols[0].str.cat(cols[1:], sep=" ") if len(cols) > 1 else cols[0]
    uniq = joined.unique()
    return pd.Series(joined.map(dict(zip(uniq, map(_fold_text, uniq)))).to_numpy(), index=frame.index)


def _utf8(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets relative to the first value, UTF-8 bytes) of a large_string array without nulls."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]] if len(arr) else \
        np.zeros(0, dtype=np.uint8)
    return offsets - offsets[0], data


def _code_points(data: np.ndarray) -> np.ndarray:
    """Distinct non-ASCII code points in valid UTF-8 bytes."""
    out = []
    for width, mask, lead_bits in ((2, 0xE0, 0x1F), (3, 0xF0, 0x0F), (4, 0xF8, 0x07)):
        lead = {2: 0xC0, 3: 0xE0, 4: 0xF0}[width]
        idx = np.flatnonzero((data & mask) == lead)
        cp = (data[idx] & lead_bits).astype(np.int64)
        for k in range(1, width):
            cp = (cp << 6) | (data[idx + k] & 0x3F)
        out.append(cp)
    return np.unique(np.concatenate(out))


def _re2_class(cps) -> str:
    return "[" + "".join(f"\\x{{{c:x}}}" for c in cps) + "]"


def _decompose(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """NFKD without combining marks for the non-ASCII values of ``arr`` (ASCII
    values need none), and a mask of values Arrow can't be trusted with."""
    n = len(arr)
    bad = np.zeros(n, dtype=bool)
    non_ascii = pc.invert(pc.string_is_ascii(arr))
    if not pc.any(non_ascii).as_py():
        return arr, bad
    sub = pc.filter(arr, non_ascii)
    if isinstance(sub, pa.ChunkedArray):
        sub = sub.combine_chunks()
    chars = [chr(c) for c in _code_points(_utf8(sub)[1])]
    py = [unicodedata.normalize("NFKD", c) for c in chars]
    ar = pc.utf8_normalize(pa.array(chars, pa.large_string()), "NFKD").to_pylist()
    unsafe = [c for c, p, a in zip(chars, py, ar) if p != a or unicodedata.category(c) == "Cn"]
    marks = sorted({ord(m) for p in py for m in p if unicodedata.combining(m)})
    if unsafe:
        hit = pc.match_substring_regex(sub, _re2_class(sorted(map(ord, unsafe)))).to_numpy(zero_copy_only=False)
        bad[np.flatnonzero(non_ascii.to_numpy(zero_copy_only=False))[hit]] = True
    sub = pc.utf8_normalize(sub, "NFKD")
    if marks:
        sub = pc.replace_substring_regex(sub, _re2_class(marks), "")
    return pc.replace_with_mask(arr, non_ascii, sub.cast(pa.large_string())), bad


def _byte_fold_chunk(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ASCII fold of UTF-8 values: lower, non-[a-z0-9] runs -> one space, strip."""
    t = _BYTE_LUT[data]
    sp = t == _SPACE
    drop = np.empty(len(t), dtype=bool)  # "previous byte is a space or the value starts here"
    if len(t):
        drop[0] = True
        drop[1:] = sp[:-1]
        starts = offsets[:-1]
        drop[starts[starts < len(t)]] = True
    keep = ~(sp & drop)
    # kept bytes per value = its length minus its dropped bytes (few: no cumsum over every byte)
    dropped = np.flatnonzero(~keep)
    owner = np.searchsorted(offsets, dropped, side="right") - 1
    lengths = np.diff(offsets) - np.bincount(owner, minlength=len(offsets) - 1)
    new_off = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(lengths, out=new_off[1:])
    out = t[keep]
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


def _byte_fold(arr: pa.Array) -> pa.Array:
    offsets, data = _utf8(arr)
    pieces_off, pieces = [np.zeros(1, dtype=np.int64)], []
    base, total, row = 0, 0, 0
    n = len(arr)
    while row < n:  # rows in chunks of about _CHUNK_BYTES bytes
        stop = int(np.searchsorted(offsets, offsets[row] + _CHUNK_BYTES, side="right"))
        stop = min(max(stop - 1, row + 1), n)
        off = offsets[row: stop + 1]
        new_off, out = _byte_fold_chunk(off - off[0], data[off[0]: off[-1]])
        pieces_off.append(new_off[1:] + total)
        pieces.append(out)
        total += len(out)
        row = stop
    flat_off = np.concatenate(pieces_off)
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(flat_off), pa.py_buffer(flat))


def _search_arrow(frame: pd.DataFrame, text_cols: list[str]) -> pd.Series:
    parts, bad = [], np.zeros(len(frame), dtype=bool)
    for c in text_cols:
        arr = pa.array(frame[c].fillna("").astype(str), type=pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.null_count:
            arr = pc.fill_null(arr, "")
        arr, b = _decompose(arr)
        parts.append(arr)
        bad |= b
    joined = pc.binary_join_element_wise(*parts, pa.scalar(" ", pa.large_string())) if len(parts) > 1 else parts[0]
    joined = joined.cast(pa.large_string())
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    folded = _byte_fold(joined)
    out = pd.Series(pd.array(folded, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=frame.index)
    if bad.any():
        rows = frame.loc[bad, text_cols].fillna("").astype(str)
        out = out.astype(object)
        out[bad] = [fold(" ".join(r)) for r in rows.itertuples(index=False, name=None)]
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


def build(result: LoadResult) -> Dataset:
    frame = result.frame
    text_cols = [c for c in ("id", "title", "title_fr", "title_es", "description",
                             "description_fr", "description_es") if c in frame]
    if len(frame):
        folded = search_text(frame, text_cols)
    else:
        joined = pd.Series([], dtype=str)
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
