"""Arrow string columns as the checks need them: stripped only where a value could
change, dictionary-encoded (distinct values, one code per row), taken back to rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def blank(n: int) -> pa.ChunkedArray:
    """``n`` empty strings."""
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, dtype=np.int64)), pa.py_buffer(b""))
    return pa.chunked_array([arr], type=pa.large_string())


# A value may need stripping only if its first or last byte is ASCII space or control (<= 0x20) or
# part of a non-ASCII character (>= 0x80): a superset of what utf8_trim_whitespace removes.
_EDGE = np.zeros(256, dtype=bool)
_EDGE[:0x21] = True
_EDGE[0x80:] = True


def may_need_strip(col: pa.ChunkedArray) -> bool:
    """Whether a value of a large_string column is null or starts or ends with an _EDGE byte."""
    for chunk in col.chunks:
        if chunk.null_count:
            return True
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)  # the UTF-8 bytes the offsets index
        if not len(data) or len(offsets) < 2:
            continue
        last = len(data) - 1
        # an empty value reads a byte of a neighbour: more work at worst, never less
        if _EDGE[data[np.minimum(offsets[:-1], last)]].any() or _EDGE[data[np.maximum(offsets[1:] - 1, 0)]].any():
            return True
    return False


def strip(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """``Series.str.strip()`` of an Arrow string column, skipped when no value could need it."""
    return pc.utf8_trim_whitespace(col) if may_need_strip(col) else col


def bools(values: pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow column (no nulls) as a numpy array."""
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def take(values: pd.Series, codes: np.ndarray) -> pd.Series:
    """The distinct values' results, back at the rows (the dtype as it is: no re-inference)."""
    return pd.Series(values.array.take(codes), dtype=values.dtype, copy=False)


def map_uniques(uniques: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """``fn`` of each distinct value (the dtype is inferred as for a per-row map)."""
    return uniques.map({u: fn(u) for u in uniques})


def dictionary(col: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(code of each row, distinct values in order of first appearance)."""
    enc = col.dictionary_encode()
    chunks = enc.chunks
    if chunks and not all(_same_buffers(ch.dictionary, chunks[0].dictionary) for ch in chunks[1:]):
        chunks = [col.combine_chunks().dictionary_encode()]  # not one shared dictionary: make it one
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=col.type)
    return np.concatenate([ch.indices.to_numpy(zero_copy_only=False) for ch in chunks]), chunks[0].dictionary


def encode(col: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series, bool]:
    """-> (code of each row, the distinct values *stripped* (two may be equal), whether stripping changed any)."""
    codes, values = dictionary(col)
    stripped = pc.utf8_trim_whitespace(values) if may_need_strip(pa.chunked_array([values])) else values
    return codes, stripped.to_pandas(), stripped is not values and not stripped.equals(values)


def _same_buffers(a: pa.Array, b: pa.Array) -> bool:
    same = (getattr(x, "address", None) == getattr(y, "address", None) for x, y in zip(a.buffers(), b.buffers()))
    return len(a) == len(b) and all(same)
