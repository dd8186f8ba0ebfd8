"""How a file's columns and values map onto the contract (``Mapping``): the file column, constant or default
that feeds each contract column, per-value overrides of term columns, the day/month order of dates; ``guess``
makes one from a header and rows, ``to_toml``/``read_mapping`` carry it, ``apply`` feeds the loader."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import evidence
from .contract import BY_NAME, COLUMN_NAMES, COLUMNS, REQUIRED, UNMAPPED, Fill, Kind
from .dates import DateOrder
from .report import LoadError
from .sources import NO_LIMIT, Clock, normalise_header, public_name, read_source

SAMPLE_ROWS = 200  # rows read for evidence from values
MAX_MAPPING_BYTES = 256 * 1024
TERM_COLUMNS = tuple(c.name for c in COLUMNS if c.kind is Kind.TERM)


@dataclass(frozen=True)
class Source:
    """What feeds a contract column: a file ``column`` (its header as written), a ``constant``, or neither:
    the contract's default for that column (``contract.UNMAPPED``)."""

    column: str | None = None
    constant: str | None = None

    @property
    def is_default(self) -> bool:
        return self.column is None and self.constant is None


DEFAULT = Source()


@dataclass(frozen=True)
class Mapping:
    """Contract column -> Source (a contract column not listed reads the file's column of its name, if any);
    per term column, file value -> slug, applied before the vocabulary; the order of ambiguous dates."""

    columns: tuple[tuple[str, Source], ...] = ()
    values: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    dates: DateOrder = DateOrder.AUTO

    @classmethod
    def of(
        cls,
        columns: dict[str, Source],
        values: dict[str, dict[str, str]] | None = None,
        dates: DateOrder = DateOrder.AUTO,
    ) -> Mapping:
        """A mapping in its one canonical form; a LoadError names a column it cannot map."""
        for name, source in columns.items():
            if name not in BY_NAME:
                raise LoadError(
                    "The mapping names '{column}', which is not a column of the contract. Known: {known}.",
                    column=name,
                    known=", ".join(COLUMN_NAMES),
                )
            if source.is_default and name not in UNMAPPED:
                raise LoadError(
                    "The column '{column}' has no default; map it to a file column or a constant.", column=name
                )
        for name in values or {}:
            if name not in TERM_COLUMNS:
                raise LoadError(
                    "Values can only be mapped for {allowed}, not '{column}'.",
                    allowed=", ".join(TERM_COLUMNS),
                    column=name,
                )
        ordered = tuple((c, columns[c]) for c in COLUMN_NAMES if c in columns)
        kept = tuple((c, tuple(sorted(v.items()))) for c, v in sorted((values or {}).items()) if v)
        return cls(ordered, kept, dates)

    def source(self, column: str) -> Source | None:
        return dict(self.columns).get(column)

    def overrides(self, column: str) -> dict[str, str]:
        """File value -> slug for a term column."""
        return dict(dict(self.values).get(column, ()))

    def with_source(self, column: str, source: Source | None) -> Mapping:
        """This mapping with ``column`` fed by ``source`` (None: by the file's column of its name, if any)."""
        columns = {c: s for c, s in self.columns if c != column} | ({column: source} if source else {})
        return Mapping.of(columns, {c: dict(v) for c, v in self.values}, self.dates)

    def with_values(self, column: str, overrides: dict[str, str]) -> Mapping:
        values = {c: dict(v) for c, v in self.values} | {column: overrides}
        return Mapping.of(dict(self.columns), values, self.dates)

    def with_dates(self, order: DateOrder) -> Mapping:
        return replace(self, dates=order)


# --- the guess


def _fixed(given: Mapping | None, header: Sequence[str]) -> tuple[dict[str, Source], set[int]]:
    """The columns a given mapping names, and the file columns they use."""
    if given is None:
        return {}, set()
    names = [normalise_header(h) for h in header]
    columns = dict(given.columns)
    used = set()
    for source in columns.values():
        if source.column is not None:
            try:
                used.add(_find(source.column, header, names))
            except LoadError:  # reported when the mapping is applied
                pass
    return columns, used


def guess(
    header: Sequence[str], sample_rows: Sequence[Sequence[str]], clock: Clock = NO_LIMIT, given: Mapping | None = None
) -> Mapping:
    """The likeliest mapping of a file with this header (as written) and these first rows, laid under ``given``
    (the columns it names are taken as it says, with its values and dates): each other contract column takes the
    free file column that scores best for it (a required column wins a tie), no file column feeds two; a required
    column with no match takes its default. ``clock`` bounds the time it takes."""
    fixed, used = _fixed(given, header)
    scores, values = evidence.header_scores(header, clock), evidence.Values(sample_rows)
    candidates = [
        (-score, not col.required, rank, j, col.name)
        for col in COLUMNS
        if col.name not in fixed
        for score, rank, j in evidence.candidates(col, scores, used, values, clock)
    ]
    columns = dict(fixed)
    for *_, j, name in sorted(candidates):
        if name not in columns and j not in used:
            columns[name] = Source(column=header[j])
            used.add(j)
    columns |= {name: DEFAULT for name in UNMAPPED if name not in columns}
    merged = Mapping.of(columns)
    return merged if given is None else replace(given, columns=merged.columns)


def renames(mapping: Mapping) -> bool:
    """Whether some contract column is fed by a file column of another name: the file is of another shape."""
    return any(s.column is not None and normalise_header(s.column) != c for c, s in mapping.columns)


def complete(mapping: Mapping) -> bool:
    """Whether every required column that may not be empty has a source."""
    return all(mapping.source(c) is not None or BY_NAME[c].if_empty is not None for c in REQUIRED)


# --- applying a mapping to a parsed file


def _find(column: str, header: Sequence[str], names: list[str]) -> int:
    """The position of a file column named as written, else by its normalised name."""
    if column in header:
        return list(header).index(column)
    if normalise_header(column) in names:
        return names.index(normalise_header(column))
    raise LoadError("The mapping names the column '{column}', which this file does not have.", column=column)


def _repeat(value: str, n: int) -> pa.ChunkedArray:
    return pa.chunked_array([pa.repeat(pa.scalar(value, pa.large_string()), n)], type=pa.large_string())


def apply(
    mapping: Mapping, header: Sequence[str], columns: Sequence[pa.ChunkedArray], lines: np.ndarray, label: str
) -> tuple[dict[str, pa.ChunkedArray], dict[str, str], list[str]]:
    """-> (the contract's columns, then the file's columns that feed none, by normalised name; the values a
    column's check takes as they are; the required columns that may not be empty and have no source)."""
    names = [normalise_header(h) for h in header]
    out: dict[str, pa.ChunkedArray] = {}
    trusted: dict[str, str] = {}
    missing: list[str] = []
    used: set[int] = set()
    for col in COLUMNS:
        source = mapping.source(col.name)
        if source is None and col.name in names:
            source = Source(column=header[names.index(col.name)])
        if source is None and col.required and col.name in UNMAPPED:
            source = DEFAULT
        if source is None:
            if col.required and col.if_empty is None:
                missing.append(col.name)
        elif source.column is not None:
            used.add(j := _find(source.column, header, names))
            out[col.name] = columns[j]
        elif source.constant is not None:
            out[col.name] = _repeat(source.constant, len(lines))
        elif (default := UNMAPPED[col.name]).fill is Fill.LINE:
            out[col.name] = pa.chunked_array([pc.cast(pa.array(lines), pa.large_string())])
        else:
            value = public_name(label) if default.fill is Fill.SOURCE else default.value
            out[col.name] = _repeat(value, len(lines))
            if default.trusted:
                trusted[col.name] = value
    extra = {names[j]: columns[j] for j in range(len(header)) if j not in used and names[j] not in BY_NAME}
    return out | extra, trusted, missing


# --- the mapping file


def _quote(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, and DEL, which JSON leaves as it is, is escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _spec(source: Source) -> dict[str, str | bool]:
    """A Source as the mapping file writes it: ``{column = ...}``, ``{constant = ...}`` or ``{default = true}``."""
    if source.column is not None:
        return {"column": source.column}
    return {"default": True} if source.constant is None else {"constant": source.constant}


def as_data(mapping: Mapping) -> dict:
    """The mapping as plain data, in the shape of its file: columns, values, dates."""
    return {
        "columns": {name: _spec(source) for name, source in mapping.columns},
        "values": {name: dict(pairs) for name, pairs in mapping.values},
        "dates": {"order": mapping.dates.value},
    }


def to_toml(mapping: Mapping) -> str:
    """The mapping as a small TOML file, which ``read_mapping`` reads back as the same mapping."""
    lines = [
        "# How a file's columns map onto the dashboard's columns (DASHBOARD_MAPPING, or the Data page).",
        "# column = a column of the file, as its header is written; constant = one value for every row;",
        "# default = the dashboard's default (id: the line number; pillar: Unassigned; source_url: the file).",
        "",
        "[columns]",
    ]
    for name, source in mapping.columns:
        ((key, value),) = _spec(source).items()
        lines.append(f"{name} = {{ {key} = {'true' if value is True else _quote(str(value))} }}")
    for name, pairs in mapping.values:
        lines += ["", f"[values.{name}]  # a value of the file = the dashboard's value"]
        lines += [f"{_quote(k)} = {_quote(v)}" for k, v in pairs]
    lines += ["", "[dates]", f'order = "{mapping.dates.value}"  # for 03/04/2020: auto, day_first or month_first']
    return "\n".join(lines) + "\n"


def _table(value: object, name: str) -> dict:
    if not isinstance(value, dict):
        raise LoadError("In the mapping file, '{name}' must be a table.", name=name)
    return value


def _source(column: str, spec: object) -> Source:
    """A Source from ``"File column"``, ``{ column = ... }``, ``{ constant = ... }`` or ``{ default = true }``."""
    if isinstance(spec, str) and spec:
        return Source(column=spec)
    if isinstance(spec, dict) and len(spec) == 1:
        ((key, value),) = spec.items()
        if key == "column" and isinstance(value, str) and value:
            return Source(column=value)
        if key == "constant" and isinstance(value, str):
            return Source(constant=value)
        if key == "default" and value is True:
            return DEFAULT
    raise LoadError(
        "In the mapping file, '{column}' must name a file column, a constant or the default.", column=column
    )


def _pairs(column: str, spec: object) -> dict[str, str]:
    pairs = _table(spec, f"values.{column}")
    if not all(isinstance(v, str) for v in pairs.values()):
        raise LoadError("In the mapping file, each value of '{column}' must be mapped to a text.", column=column)
    return pairs


def read_mapping(text: str | bytes) -> Mapping:
    """The mapping a TOML file (``to_toml``) declares; a LoadError says what is wrong with a bad one."""
    if len(text) > MAX_MAPPING_BYTES:
        raise LoadError("The mapping file is larger than {limit} KB.", limit=MAX_MAPPING_BYTES // 1024)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LoadError("The mapping file is not UTF-8 text.") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError("The mapping file is not valid TOML: {error}.", error=str(exc)) from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise LoadError("The mapping file nests arrays or tables too deeply to be read.") from None
    for name in doc:
        if name not in ("columns", "values", "dates"):
            raise LoadError(
                "The mapping file has an unknown section '{name}'. Known: columns, values, dates.", name=name
            )
    columns = {name: _source(name, spec) for name, spec in _table(doc.get("columns", {}), "columns").items()}
    values = {name: _pairs(name, spec) for name, spec in _table(doc.get("values", {}), "values").items()}
    order = _table(doc.get("dates", {}), "dates").get("order", DateOrder.AUTO.value)
    if order not in [o.value for o in DateOrder]:
        raise LoadError("The date order must be one of: {allowed}.", allowed=", ".join(o.value for o in DateOrder))
    return Mapping.of(columns, values, DateOrder(order))


def read_mapping_source(source: str) -> Mapping:
    """The mapping file at a path or an http(s) URL (``DASHBOARD_MAPPING``)."""
    if "://" not in source and not Path(source).exists():  # an address, or a folder, is for read_source to judge
        raise LoadError("The mapping file {source} does not exist.", source=source)
    return read_mapping(read_source(source))
