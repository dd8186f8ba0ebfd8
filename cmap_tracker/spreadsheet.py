"""Spreadsheet downloads: CSV and XLSX of a table, every cell made safe to open
(no cell can run as a formula), and the download file names."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from .contract import BY_NAME, COLUMN_NAMES
from .report import CORRECTED, REJECTED, LoadResult

# OWASP "CSV injection": a text cell starting with one of these, before or after leading
# whitespace (some spreadsheets trim first), gets a leading ' so it is never a formula.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
INTERNAL_COLUMNS = frozenset({"line"})  # the loader's own columns, never exported
BOM = b"\xef\xbb\xbf"
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included
XLSX_MAX_WIDTH = 60


def _neutralise(text: str) -> str:
    if text and (text[0] in DANGEROUS_PREFIXES or text.lstrip()[:1] in DANGEROUS_PREFIXES):
        return "'" + text
    return text


def _format(value: object) -> tuple[str, bool]:
    """(text, is_text): the value written out, and whether it is free text
    (which may need neutralising) rather than a number, boolean or date."""
    if value is None or value is pd.NaT or value is pd.NA:
        return "", False
    if isinstance(value, str):
        return value, True
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false"), False
    if isinstance(value, (int, np.integer)):
        return str(int(value)), False
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return "", False
        return (repr(f), False) if math.isfinite(f) else (str(f), True)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "", False
        return str(value), not value.is_finite()
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
        if value is pd.NaT:
            return "", False
    if isinstance(value, datetime):  # pd.Timestamp included; before date (a datetime is a date)
        whole_day = value.tzinfo is None and value.time() == datetime.min.time()
        return (value.date() if whole_day else value).isoformat(), False
    if isinstance(value, date):
        return value.isoformat(), False
    return str(value), True


def cell_text(value: object) -> str:
    """One value as a cell shows it (missing values ``""``, dates ISO), never quoted:
    for output that is not a spreadsheet, such as HTML text."""
    return _format(value)[0]


def safe_cell(value: object) -> str:
    """One cell as spreadsheet-safe text: missing ``""``, booleans ``true``/``false``,
    numbers as written, dates ISO; only text is quoted (see DANGEROUS_PREFIXES)."""
    text, is_text = _format(value)
    return _neutralise(text) if is_text else text


def _safe_cells(series: pd.Series) -> np.ndarray:
    """``safe_cell`` over a column, computed once per distinct value."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): one call per cell
        return np.array([safe_cell(v) for v in series.tolist()], dtype=object)
    table = np.array([safe_cell(u) for u in uniques] + [""], dtype=object)
    return table[codes]  # the NA code -1 picks the trailing ""


def _column_cells(series: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):  # numpy bool, or pandas "boolean" with NA
        cells = np.where(series.fillna(False).to_numpy(dtype=bool), "true", "false").astype(object)
        if name != "milestone":  # empty milestone means false (contract); elsewhere empty stays empty
            cells[series.isna().to_numpy()] = ""
        return cells
    if name == "milestone":  # empty means false (contract)
        series = series.astype(object).where(series.notna(), False)
    if pd.api.types.is_datetime64_any_dtype(series) and not isinstance(series.dtype, pd.DatetimeTZDtype):
        whole_days = series.isna() | (series == series.dt.normalize())
        if bool(whole_days.all()):
            return series.dt.strftime("%Y-%m-%d").astype(object).where(series.notna(), "").to_numpy()
    return _safe_cells(series)


def export_columns(df: pd.DataFrame) -> list[str]:
    """Contract columns in contract order, then the file's extra columns in file order."""
    extra = [c for c in df.columns if c not in BY_NAME and c not in INTERNAL_COLUMNS and not str(c).startswith("_")]
    return [*COLUMN_NAMES, *extra]


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The initiatives as the spreadsheet gets them (``export_columns``, a missing one
    empty), every cell and header a safe string."""
    return safe_frame(df.reindex(columns=export_columns(df)))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Any table with its own columns, every cell and header through ``safe_cell``."""
    data = {i: _column_cells(df.iloc[:, i], str(c)) for i, c in enumerate(df.columns)}
    out = pd.DataFrame(data, index=pd.RangeIndex(len(df)), dtype=object)
    out.columns = [safe_cell(c) for c in df.columns]
    return out


def _csv(cells: pd.DataFrame, header: bool = True) -> bytes:
    """RFC 4180 CSV in UTF-8: all fields quoted, CRLF line ends."""
    return cells.to_csv(index=False, header=header, quoting=csv.QUOTE_ALL, lineterminator="\r\n").encode("utf-8")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The initiatives (``export_frame``) as CSV, with a byte-order mark so Excel reads
    accents right; ``loader.load`` reads it back unchanged."""
    return BOM + _csv(export_frame(df))


def table_csv_bytes(df: pd.DataFrame) -> bytes:
    """Any other table (``safe_frame``) as CSV, in the format of ``to_csv_bytes``."""
    return BOM + _csv(safe_frame(df))


def _column_width(header: str, cells: pd.Series) -> float:
    longest = max(len(header), int(cells.str.len().quantile(0.9)) if len(cells) else 0)
    return float(min(XLSX_MAX_WIDTH, max(6, longest + 2)))


def to_xlsx_bytes(df: pd.DataFrame, *, sheet_name: str = "Initiatives") -> bytes:
    """The ``export_frame`` cells as an .xlsx workbook (bold frozen header, autofilter,
    widths from the content), every cell a string, never a formula or link. Raises
    ``ValueError`` when there are more rows than a sheet can hold."""
    import xlsxwriter

    ef = export_frame(df)
    if len(ef) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"{len(ef)} rows do not fit in one Excel sheet (limit {XLSX_MAX_ROWS - 1}).")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = wb.add_worksheet(re.sub(r"[\[\]:*?/\\]", "-", sheet_name)[:31] or "Sheet1")
    bold = wb.add_format({"bold": True, "bottom": 1})
    headers = [str(c) for c in ef.columns]
    for c, name in enumerate(headers):
        ws.write_string(0, c, name, bold)
        ws.set_column(c, c, _column_width(name, ef.iloc[:, c]))
    for r, row in enumerate(ef.itertuples(index=False, name=None), start=1):
        for c, value in enumerate(row):
            if value:
                ws.write_string(r, c, value)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(ef), 1), len(headers) - 1)
    wb.close()
    return buf.getvalue()


def filename(stem: str, ext: str, today: date) -> str:
    """``filename("cmap-initiatives", "csv", date(2026, 11, 25))`` -> ``cmap-initiatives-2026-11-25.csv``,
    characters other than letters, digits, ``.``, ``_`` and ``-`` as ``-``."""
    clean = lambda s: re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-.") or "export"  # noqa: E731
    return f"{clean(stem)}-{today.isoformat()}.{clean(ext.lstrip('.'))}"


def issues_csv(result: LoadResult, tr: Callable[[str], str] = lambda s: s) -> bytes:
    """Every rejected or corrected row of a load as CSV in the format of ``table_csv_bytes``,
    translated by ``tr``; written a chunk at a time, never as one frame."""
    outcomes = {REJECTED: tr("Rejected"), CORRECTED: tr("Corrected")}
    out = io.BytesIO()
    out.write(BOM)
    for k, part in enumerate(result.issue_frames(tr)):
        part["outcome"] = part["outcome"].map(lambda o: outcomes.get(o, o))
        part.columns = [tr("Line"), tr("Column"), tr("Value"), tr("Outcome"), tr("Reason")]
        out.write(_csv(safe_frame(part), header=k == 0))
    return out.getvalue()
