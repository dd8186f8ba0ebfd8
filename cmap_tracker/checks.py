"""The checks of a parsed file against the contract: one check per column kind,
chosen by each column's declaration (``contract.Column``), which also says what a
bad or empty value costs and gives the column's output type."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates, safe
from .arrow_text import bools, encode, map_uniques, strip, take
from .contract import COLUMN_NAMES, COLUMNS, Column, Kind, OnInvalid
from .dates import DateOrder
from .i18n import N_
from .report import CORRECTED, FILE, REJECTED, VALUE_CHARS, Issue, IssueLog
from .sources import NO_LIMIT, Clock
from .themes import parse_themes, theme_slug
from .vocab import Vocabulary, fold

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TRUE_WORDS = {"true", "yes", "y", "1", "x", "oui", "vrai", "si", "verdadero"}
FALSE_WORDS = {"", "false", "no", "n", "0", "non", "faux", "falso"}
# A source link: a link as the dashboard shows one (safe.HTTP_URL) whose host has a dot or is the local machine.
_LINK_HOST = re.compile(r"^https?://(?:[^\s/?#]+\.|(?:localhost|127\.0\.0\.1)(?::\d+)?(?:/|$))", re.IGNORECASE)

# What an invalid value of each kind may cost (contract.Column.on_invalid); any other kind: the row.
_ON_INVALID = {Kind.TERM: set(OnInvalid), Kind.DATE: set(OnInvalid), Kind.BOOL: {OnInvalid.CLEAR}}
for _column in COLUMNS:
    assert _column.on_invalid in _ON_INVALID.get(_column.kind, {OnInvalid.REJECT}), f"no such rule for {_column.name}"
    assert (_column.vocabulary is not None) == (_column.kind is Kind.TERM), f"vocabulary of {_column.name}"

# Columns whose values are few and checked or mapped: dictionary-encoded, checked
# (and stripped) once per distinct value. The others (id, text) are stripped as columns.
_CODED = frozenset(c.name for c in COLUMNS if c.kind not in (Kind.ID, Kind.TEXT))
DAY_FIRST_NOTE = N_(
    "Dates such as {value} were read day first, as {date}: other dates in this file start with a day over 12."
)
MONTH_FIRST_NOTE = N_(
    "Dates such as {value} were read month first, as {date}: no date in this file starts with a number over 12. "
    "The mapping's date order can say otherwise."
)
_PARALLEL_ROWS = 50_000  # from here, prepare columns on two threads (Arrow kernels release the GIL)

Output = Callable[[np.ndarray | None], object]  # a checked column at the kept rows (None: every row)


def source_link(value: str) -> bool:
    """``value`` (stripped) is a link a row may give as its source."""
    return safe.http_url(value) is not None and _LINK_HOST.match(value) is not None


def parse_dates(values: pd.Series, order: DateOrder | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """-> (datetime64 values, bad mask, widened mask) for stripped strings; '' is NaT, not bad. With an
    ``order`` (a file read through a mapping), other written forms are read too (``dates.written``), day first
    for DAY_FIRST, else month first."""
    full = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    missing = full.isna() & (values != "")
    widened = pd.Series(False, index=values.index)
    if missing.any():
        rest = values[missing]
        month = pd.to_datetime(rest.where(rest.str.fullmatch(r"\d{4}-\d{2}")), format="%Y-%m", errors="coerce")
        year = pd.to_datetime(rest.where(rest.str.fullmatch(r"\d{4}")), format="%Y", errors="coerce")
        part = month.fillna(year)
        full.loc[missing] = part
        widened.loc[missing] = part.notna()
    if order is not None and (rest := full.isna() & (values != "")).any():
        written, written_widened = dates.written(values[rest], order is DateOrder.DAY_FIRST)
        full.loc[rest] = written
        widened.loc[rest] = written_widened
    bad = full.isna() & (values != "")
    return full, bad, widened


def _prepare(name: str, col: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series, bool] | pa.ChunkedArray:
    return encode(col) if name in _CODED else strip(col)


class Checker:
    """Column-by-column checks of Arrow string columns: logs issues and keeps a mask of rejected rows.
    A file read through a mapping (``mapping.apply``) brings ``overrides`` (per term column, file value ->
    term, read before the vocabulary), ``trusted`` values (per column, one its check takes as it is) and
    the ``date_order`` of written dates (None: the contract's date forms only)."""

    def __init__(
        self,
        columns: dict[str, pa.ChunkedArray],
        lines: np.ndarray,
        log: IssueLog,
        *,
        overrides: dict[str, dict[str, str]] | None = None,
        trusted: dict[str, str] | None = None,
        date_order: DateOrder | None = None,
    ) -> None:
        self.lines, self.log = lines, log
        self.overrides = {c: {fold(k): v for k, v in o.items()} for c, o in (overrides or {}).items()}
        self.trusted, self.date_order = trusted or {}, date_order
        self.n = len(lines)
        self.order = list(columns)
        with ThreadPoolExecutor(max_workers=2 if self.n >= _PARALLEL_ROWS else 1) as pool:
            prepared = dict(zip(columns, pool.map(_prepare, columns, columns.values())))
        self.raw = {c: columns[c] for c in columns if c in _CODED}  # for coded columns that are output as text
        self.cols: dict[str, pa.ChunkedArray] = {c: v for c, v in prepared.items() if c not in _CODED}  # stripped
        # coded columns: (code of each row, the distinct stripped values), and those that stripping changed
        self.coded: dict[str, tuple[np.ndarray, pd.Series]] = {c: v[:2] for c, v in prepared.items() if c in _CODED}
        self.changed = {c for c, v in prepared.items() if c in _CODED and v[2]}
        self.bad = np.zeros(self.n, dtype=bool)
        self.live = np.ones(self.n, dtype=bool)  # False for empty rows: one issue each is enough
        self.clock = NO_LIMIT
        self._empty: dict[str, np.ndarray] = {}
        self._uniques: dict[str, pa.Array] = {}
        self.dates: dict[str, tuple[np.ndarray, pd.Series]] = {}  # DATE columns: (codes, values)
        self.vocabularies: Mapping[str, Vocabulary] = {}  # by name: the terms of a column declared empty
        self.notes: list[Issue] = []  # about the file as a whole

    def empty(self, column: str) -> np.ndarray:
        if column not in self._empty:
            if column in self.coded:
                codes, uniques = self.coded[column]
                self._empty[column] = (uniques.str.len() == 0).to_numpy(dtype=bool)[codes]
            else:
                self._empty[column] = bools(pc.equal(pc.binary_length(self.cols[column]), 0))
        return self._empty[column]

    def text(self, column: str) -> pa.ChunkedArray:
        """The stripped values of a column, as Arrow strings."""
        if column in self.cols:
            return self.cols[column]
        return pc.utf8_trim_whitespace(self.raw[column]) if column in self.changed else self.raw[column]

    def cells(self, column: str, idx: np.ndarray) -> pa.Array:
        """The stripped values at rows ``idx``, cut to VALUE_CHARS characters, for a report."""
        if column in self.coded:
            codes, uniques = self.coded[column]
            if column not in self._uniques:
                self._uniques[column] = pa.array(uniques.to_numpy(dtype=object), type=pa.large_string())
            values = self._uniques[column].take(pa.array(codes[idx]))
        else:
            values = self.cols[column].take(pa.array(idx)).combine_chunks()
        return pc.utf8_slice_codeunits(values, 0, VALUE_CHARS)

    def text_at(self, column: str, rows: np.ndarray | None) -> pd.Series:
        """The stripped values at the kept ``rows`` (None: every row), as pandas strings."""
        col = self.text(column)
        return (col if rows is None else col.take(pa.array(rows))).to_pandas()

    def mapped(self, column: str, results: pd.Series, rows: np.ndarray | None) -> pd.Series:
        """``results`` (one per distinct value) at the kept ``rows``; the column itself if none changed."""
        codes, uniques = self.coded[column]
        if results.dtype == uniques.dtype and results.equals(uniques):
            return self.text_at(column, rows)
        return take(results, _kept(codes, rows))

    def flag(
        self,
        mask: np.ndarray,
        column: str | None,
        reason: str,
        kind: str = REJECTED,
        params: dict | None = None,
        per_row: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
    ) -> None:
        """Log ``reason`` for the live rows in ``mask``: ``params`` are the parameters those rows share,
        ``per_row(idx)`` gives the others, one per flagged row; ``{value}`` is the row's cell in ``column``."""
        self.clock.check()
        mask = mask & self.live
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        self.log.add(
            Issue(None, column, "", reason, kind, tuple((params or {}).items())),
            self.lines[idx],
            self.cells(column, idx) if column else None,
            per_row(idx) if per_row else None,
        )
        if kind == REJECTED:
            self.bad |= mask

    def value_counts(self, column: str) -> list[tuple[str, int]]:
        """The distinct stripped values of a checked column and the rows of each, in file order."""
        codes, uniques = self.coded[column]
        counts = np.bincount(codes, minlength=len(uniques))
        return [(str(v), int(n)) for v, n in zip(uniques, counts) if n]

    def run(self, clock: Clock = NO_LIMIT, vocabularies: Mapping[str, Vocabulary] = {}) -> pd.DataFrame:
        """Every check, then the kept rows as a typed frame (and ``line``). ``vocabularies`` gives the terms
        of a TERM column whose contract vocabulary is empty (the pillars: the plan's)."""
        self.clock = clock  # checked by each flag() and between the slower steps
        self.vocabularies = vocabularies
        self.reject_empty_rows()
        self.decide_date_order()
        for col in COLUMNS:
            if col.required and col.if_empty is None:
                self.flag(
                    self.empty(col.name),
                    col.name,
                    "The required value '{column}' is empty.",
                    params={"column": col.name},
                )
        outputs: dict[str, Output | None] = {}
        for col in sorted(COLUMNS, key=lambda c: list(Kind).index(c.kind)):  # the checks run in Kind's order
            check = getattr(self, f"check_{col.kind.value}", None)  # none for TEXT: stripped text as it is
            outputs[col.name] = check(col) if check else None
            if col.unique:
                self.reject_repeats(col)
            if col.if_empty is not None:
                self.flag(self.empty(col.name), col.name, col.if_empty.note, CORRECTED)
        for col in COLUMNS:
            if col.not_before is not None:
                self.reject_before(col.name, col.not_before)
        clock.check()
        return self.output(outputs)

    def decide_date_order(self) -> None:
        """One order for the whole file's ambiguous dates (03/04/2020), so a row never mixes two: AUTO is day
        first when a date of any DATE column starts with a number over 12, else month first; a note says which
        when some date could be read either way."""
        if self.date_order is not DateOrder.AUTO:
            return
        values = pd.concat([self.coded[c.name][1] for c in COLUMNS if c.kind is Kind.DATE], ignore_index=True)
        first = dates.day_first(values)
        self.date_order = DateOrder.DAY_FIRST if first else DateOrder.MONTH_FIRST
        example = dates.ambiguous(values)
        found = dates.read(example, first) if example is not None else None
        if found is not None:
            params = (("value", example), ("date", found[0].strftime("%Y-%m-%d")))
            self.notes.append(Issue(None, None, "", DAY_FIRST_NOTE if first else MONTH_FIRST_NOTE, FILE, params))

    def reject_empty_rows(self) -> None:
        empty_row = np.ones(self.n, dtype=bool)
        for c in COLUMN_NAMES:
            if not empty_row.any():
                break
            empty_row &= self.empty(c)
        self.flag(empty_row, None, "The row is empty.")
        self.live = ~empty_row

    def output(self, outputs: dict[str, Output | None]) -> pd.DataFrame:
        """The kept rows: each column as its check made it, or as stripped text."""
        keep = ~self.bad
        rows = None if keep.all() else np.flatnonzero(keep)
        out = {c: (outputs.get(c) or functools.partial(self.text_at, c))(rows) for c in self.order}
        out["line"] = self.lines if rows is None else self.lines[rows]
        return pd.DataFrame(out, copy=False)

    def reject_repeats(self, col: Column) -> None:
        """Rows whose ``col`` value an earlier row already has."""
        flat = self.text(col.name).combine_chunks()
        if self.n < 2 or pc.all(pc.less(flat.slice(0, self.n - 1), flat.slice(1))).as_py():
            return  # strictly increasing: all distinct
        codes = pc.dictionary_encode(flat).indices.to_numpy(zero_copy_only=False)
        repeat = pd.Series(codes).duplicated().to_numpy()
        first = np.flatnonzero(~repeat)[codes]  # codes are numbered in order of first appearance
        self.flag(
            repeat & ~self.empty(col.name),
            col.name,
            "Duplicate id: it is already used on line {first}.",
            per_row=lambda idx: {"first": self.lines[first[idx]]},
        )

    def reject_before(self, column: str, not_before: str) -> None:
        """Rows whose ``column`` date is before their ``not_before`` date."""
        (end_codes, end), (start_codes, start) = self.dates[column], self.dates[not_before]
        end, start = end.to_numpy()[end_codes], start.to_numpy()[start_codes]
        self.flag(
            end < start,  # False where either is NaT
            column,
            "The end date {end} is before the start date {start}.",
            per_row=lambda idx: {
                "end": self.cells(column, idx).to_numpy(zero_copy_only=False),
                "start": self.cells(not_before, idx).to_numpy(zero_copy_only=False),
            },
        )

    # --- one check per kind: logs its issues, returns the column's output (None: stripped text)

    def check_id(self, col: Column) -> None:
        self.flag(
            ~self.empty(col.name) & ~bools(pc.match_substring_regex(self.cols[col.name], ID_PATTERN)),
            col.name,
            "The id may only use letters, digits, '.', '_' and '-', and must start with a letter or digit.",
        )

    def check_term(self, col: Column) -> Output:
        assert col.vocabulary is not None  # every TERM column has one (asserted at import)
        vocabulary = self.vocabularies.get(col.vocabulary.name, col.vocabulary)
        codes, uniques = self.coded[col.name]
        override = self.overrides.get(col.name, {})
        # a slug or NaN per distinct value
        terms = map_uniques(uniques, lambda v: vocabulary.find(override.get(fold(v), v)))
        unknown = terms.isna().to_numpy()[codes]
        params = {"name": vocabulary.name, "allowed": ", ".join(vocabulary.slugs)}
        if col.on_invalid is OnInvalid.REJECT:
            self.flag(unknown, col.name, "'{value}' is not a known {name}. Use one of: {allowed}.", params=params)
        else:
            self.flag(
                unknown & ~self.empty(col.name),
                col.name,
                "'{value}' is not a known {name} ({allowed}); it was left empty.",
                CORRECTED,
                params=params,
            )
        if col.if_empty is not None:
            terms = terms.fillna(col.if_empty.value)
        if col.categorical:
            slug_codes = pd.Index(vocabulary.slugs).get_indexer(terms)
            return lambda rows: pd.Categorical.from_codes(slug_codes[_kept(codes, rows)], categories=vocabulary.slugs)
        terms = terms.fillna("")
        return lambda rows: self.mapped(col.name, terms, rows)

    def check_url(self, col: Column) -> None:
        codes, urls = self.coded[col.name]
        trusted = self.trusted.get(col.name)
        bad = np.array([u != "" and u != trusted and not source_link(u) for u in urls], dtype=bool)
        self.flag(bad[codes], col.name, "The link must be a web address starting with http:// or https://.")

    def check_date(self, col: Column) -> Output:
        codes, uniques = self.coded[col.name]
        values, bad_u, widened_u = parse_dates(uniques, self.date_order)
        bad, widened = bad_u.to_numpy(dtype=bool)[codes], widened_u.to_numpy(dtype=bool)[codes]
        if col.on_invalid is OnInvalid.CLEAR:
            self.flag(bad, col.name, "'{value}' is not a date (YYYY-MM-DD); it was left empty.", CORRECTED)
        else:
            self.flag(bad, col.name, "'{value}' is not a date. Use YYYY-MM-DD (or YYYY-MM, YYYY).")
        read_as = values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        self.flag(
            widened & ~bad,
            col.name,
            "'{value}' was read as {date}, the start of that period.",
            CORRECTED,
            per_row=lambda idx: {"date": read_as[codes[idx]]},
        )
        self.dates[col.name] = (codes, values)
        return lambda rows: take(values, _kept(codes, rows))

    def check_bool(self, col: Column) -> Output:
        codes, uniques = self.coded[col.name]
        folded = map_uniques(uniques, fold)
        truthy = folded.isin(TRUE_WORDS).to_numpy(dtype=bool)
        known = folded.isin(TRUE_WORDS | FALSE_WORDS).to_numpy(dtype=bool)
        self.flag(~known[codes], col.name, "'{value}' is not true or false; it was read as false.", CORRECTED)
        return lambda rows: truthy[_kept(codes, rows)]

    def check_themes(self, col: Column) -> Output:
        codes, uniques = self.coded[col.name]
        slug = functools.cache(theme_slug)  # once per part, across all the distinct values
        themes = map_uniques(uniques, lambda v: parse_themes(v, slug))
        return lambda rows: self.mapped(col.name, themes, rows)


def _kept(codes: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return codes if rows is None else codes[rows]
