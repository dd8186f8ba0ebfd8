"""Dates written in common forms ("June 19, 2020", "19/06/2020", "19 juin 2020", an ISO timestamp), read by
python-dateutil for a file read through a mapping; the contract's own YYYY-MM-DD is read by ``checks``."""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum

import pandas as pd
from dateutil import parser


class DateOrder(Enum):
    """How a date such as 03/04/2020, whose first two numbers may be a day or a month, is read."""

    AUTO = "auto"  # decided once per file: day first when a date of any column starts with a number over 12
    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"


class _Words(parser.parserinfo):
    """dateutil's English month names, with the French and Spanish ones (accented or not)."""

    MONTHS = [
        (*en, *other)
        for en, other in zip(
            parser.parserinfo.MONTHS,
            (
                ("janvier", "janv", "enero", "ene"),
                ("février", "fevrier", "févr", "fevr", "febrero"),
                ("mars", "marzo"),
                ("avril", "avr", "abril", "abr"),
                ("mai", "mayo"),
                ("juin", "junio"),
                ("juillet", "juil", "julio"),
                ("août", "aout", "agosto", "ago"),
                ("septembre", "septiembre", "setiembre"),
                ("octobre", "octubre"),
                ("novembre", "noviembre"),
                ("décembre", "decembre", "déc", "diciembre", "dic"),
            ),
        )
    ]
    JUMP = [*parser.parserinfo.JUMP, "de", "del", "le", "er"]


_WORDS = _Words()
# Two defaults that differ in every field: a field that comes out different was not in the value.
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 12, 28))
_YEAR_OR_MONTH = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")
_DIGIT = re.compile(r"\d")
MAX_WRITTEN = 64  # characters: no written date is longer ("Wednesday, 19 de septiembre de 2020 10:00:00+00:00")
_NUMERIC = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}\b")


def day_first(values: pd.Series) -> bool:
    """Whether numeric dates put the day first: some value starts with a number over 12."""
    firsts = values.str.extract(_NUMERIC, expand=True)[0].dropna()
    return bool((firsts.astype(int) > 12).any())


def ambiguous(values: pd.Series) -> str | None:
    """The first numeric date that reads as two different dates, day first or month first (03/04/2020)."""
    parts = values.str.extract(_NUMERIC, expand=True).dropna().astype(int)
    either = parts[(parts[0].between(1, 12)) & (parts[1].between(1, 12)) & (parts[0] != parts[1])]
    return None if either.empty else str(values.loc[either.index[0]])


def read(value: str, dayfirst: bool) -> tuple[pd.Timestamp, bool] | None:
    """(the date, whether it was widened to the first day of its month) of a written date, or None when it is
    not one: no year, no month, or no such day. A time of day and a time zone are dropped (the date as written)."""
    try:
        a, b = (parser.parse(value, _WORDS, default=d, dayfirst=dayfirst) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if a.year != b.year or a.month != b.month:
        return None
    return pd.Timestamp(a.year, a.month, a.day if a.day == b.day else 1), a.day != b.day


def written(values: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    """-> (datetime64 dates, widened mask) of distinct stripped values; NaT where a value is not a date."""
    read_as = [read(v, dayfirst) for v in values]
    dates = pd.Series([r[0] if r else pd.NaT for r in read_as], index=values.index, dtype="datetime64[ns]")
    widened = pd.Series([bool(r and r[1]) for r in read_as], index=values.index, dtype=bool)
    return dates, widened


def evidence(value: str) -> tuple[bool, bool]:
    """(a date in any form the loader reads, YYYY and YYYY-MM included; a full date, with a day, a month and a
    year): what a value says of its column. Only a short text with a digit and no address is read as a date."""
    if _YEAR_OR_MONTH.fullmatch(value):
        return True, False
    if len(value) > MAX_WRITTEN or not _DIGIT.search(value) or "://" in value:
        return False, False
    found = read(value, False)
    return found is not None, found is not None and not found[1]
