"""A plan: its name, dates, pillars, the timeline's key dates and the overview's facts, declared in a TOML
file (``data/plan.toml`` for the bundled plan), or, for a file that brings no plan, pillars declared by the
file's own values. The plan of a script run is a ContextVar, as its language is: sessions never mix."""

from __future__ import annotations

import contextvars
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path

import pandas as pd

from . import safe
from .i18n import LANGUAGES, language
from .report import LoadError
from .vocab import OKABE_ITO, Term, Vocabulary, fold, humanize

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "plan.toml"
MAX_PLAN_BYTES = 256 * 1024
# A file that declares its own pillars keeps its most frequent ones, so a hostile file cannot ask for a
# chart with a million series; rows of any other value are rejected, each with its line.
MAX_PILLARS = 30
# A file whose pillar values are mostly the plan's (this share of its rows) is checked against the plan,
# so a typo is reported; otherwise the file's values are its pillars.
PLAN_SHARE = 0.5
UNITS = ("date", "count", "cad_billion", "cad_million")
# Okabe–Ito without grey and black, then Paul Tol's "muted" scheme: distinct colours for 15 pillars.
PALETTE = tuple(c for k, c in OKABE_ITO.items() if k not in ("grey", "black")) + (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
)  # fmt: skip

Text = dict[str, str]  # language -> text


@dataclass(frozen=True)
class KeyDate:
    """A date drawn on the timeline: a line, or a band when it has an ``until``."""

    when: date
    label: Text
    source: str
    until: date | None = None


@dataclass(frozen=True)
class Fact:
    """A number or a date about the plan, with its public source."""

    unit: str  # one of UNITS
    label: Text
    source: Text
    url: str
    value: float | None = None
    when: date | None = None


@dataclass(frozen=True, eq=False)
class Plan:
    name: Text
    pillars: Vocabulary
    pillar_labels: dict[str, Text] = field(repr=False)
    start: date | None = None
    end: date | None = None
    description: Text = field(default_factory=dict)
    source: str = ""
    key_dates: tuple[KeyDate, ...] = ()
    facts: tuple[Fact, ...] = ()
    declared: bool = True  # False: the pillars are a data file's own values

    def title(self) -> str:
        return local(self.name)

    def pillar_label(self, slug: str) -> str:
        labels = self.pillar_labels.get(slug)
        return local(labels) if labels else humanize(slug)

    def colors(self) -> dict[str, str]:
        return self._colors

    @cached_property
    def _colors(self) -> dict[str, str]:
        return self.pillars.colors()

    def horizon(self, frame: pd.DataFrame) -> pd.Timestamp:
        """Where open-ended rows are drawn to: the plan's end, else the latest date in ``frame`` or today."""
        if self.end is not None:
            return pd.Timestamp(self.end)
        latest = pd.concat([frame["end_date"], frame["start_date"]]).max() if len(frame) else pd.NaT
        today = pd.Timestamp(date.today())
        return max(latest, today) if pd.notna(latest) else today

    def for_values(self, counts: Iterable[tuple[str, int]], name: str) -> Plan:
        """This plan, when at least PLAN_SHARE of the rows' pillar values are its pillars; else a plan whose
        pillars are the values themselves (``counts``: distinct stripped value and its rows, in file order)."""
        counts = [(v, n) for v, n in counts if v]
        rows = sum(n for _v, n in counts)
        known = sum(n for v, n in counts if self.pillars.find(v) is not None)
        if not rows or known >= PLAN_SHARE * rows:
            return self
        return from_values(counts, name)


def local(value: Text) -> str:
    """``value`` in the current language, else English, else any."""
    return value.get(language()) or value.get("en") or next(iter(value.values()), "")


def value_key(value: str) -> str:
    """How a file's own pillar values are told apart: folded (case, accents, punctuation), or, for a value
    with no Latin letter or digit (日本), its words in lower case."""
    return fold(value) or " ".join(str(value).casefold().split())


def from_values(counts: list[tuple[str, int]], name: str) -> Plan:
    """Pillars declared by a file: its MAX_PILLARS most frequent values (``value_key`` tells them apart), in
    file order, each labelled as first written (in every language), with a slug made from it that no other
    value shares, so links still work."""
    rows: dict[str, int] = {}
    written: dict[str, list[str]] = {}
    for value, n in counts:
        key = value_key(value)
        rows[key] = rows.get(key, 0) + n
        written.setdefault(key, []).append(value)
    top = set(sorted(rows, key=lambda k: -rows[k])[:MAX_PILLARS])
    terms: list[Term] = []
    taken: set[str] = set()
    for key in (k for k in written if k in top):
        base = fold(key).replace(" ", "_")[:60] or "pillar"
        slug = next(s for s in (base, *(f"{base}_{i}" for i in range(2, MAX_PILLARS + 2))) if s not in taken)
        taken.add(slug)
        terms.append(Term(slug, written[key][0], PALETTE[len(terms) % len(PALETTE)], aka=tuple(written[key])))
    pillars = Vocabulary("pillar", tuple(terms), key=value_key)
    return Plan({"en": name}, pillars, {t.slug: {"en": t.label} for t in terms}, declared=False)


def parse(data: bytes) -> Plan:
    """A plan file's bytes to a Plan; anything wrong is a LoadError naming what and where."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        error = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        raise LoadError("The plan file is not valid TOML: {error}.", error=error) from None
    head = _keys(_table(doc.get("plan"), "[plan]"), "[plan]", "name description start end source")
    _keys(doc, "the plan file", "plan pillars key_dates facts")
    pillars = [_table(p, f"[[pillars]] {i + 1}") for i, p in enumerate(_list(doc.get("pillars", []), "[[pillars]]"))]
    if not pillars or len(pillars) > MAX_PILLARS:
        raise LoadError(
            "The plan file must declare 1 to {n} pillars ([[pillars]] with a slug and a label).", n=MAX_PILLARS
        )
    terms, labels = [], {}
    for i, p in enumerate(pillars):
        where = f"[[pillars]] {i + 1}"
        slug = _str(_keys(p, where, "slug label color aliases").get("slug"), f"{where} slug")
        if fold(slug).replace(" ", "_") != slug or slug in labels:
            raise LoadError(
                "{where}: the slug {slug} must be lower-case letters, digits and '_', and not used twice.",
                where=where,
                slug=slug,
            )
        labels[slug] = _text(p.get("label"), f"{where} label")
        color = p.get("color", PALETTE[i % len(PALETTE)])
        aliases = (*labels[slug].values(), *(_str(a, f"{where} aliases") for a in _list(p.get("aliases", []), where)))
        terms.append(Term(slug, labels[slug].get("en", slug), _color(color, where), aka=aliases))
    start, end = _date(head.get("start"), "[plan] start"), _date(head.get("end"), "[plan] end")
    if start and end and end < start:
        raise LoadError("{where} must not be before {other}.", where="[plan] end", other="[plan] start")
    return Plan(
        _text(head.get("name"), "[plan] name"),
        Vocabulary("pillar", tuple(terms)),
        labels,
        start=start,
        end=end,
        description=_text(head.get("description", {}), "[plan] description", optional=True),
        source=_url(head.get("source", ""), "[plan] source", optional=True),
        key_dates=tuple(
            _key_date(_table(k, "[[key_dates]]")) for k in _list(doc.get("key_dates", []), "[[key_dates]]")
        ),
        facts=tuple(_fact(_table(f, "[[facts]]")) for f in _list(doc.get("facts", []), "[[facts]]")),
    )


def _key_date(t: dict) -> KeyDate:
    when = _date(_keys(t, "[[key_dates]]", "date until label source").get("date"), "[[key_dates]] date", optional=False)
    until = _date(t.get("until"), "[[key_dates]] until")
    assert when is not None  # a required date
    if until and until < when:
        raise LoadError("{where} must not be before {other}.", where="[[key_dates]] until", other="date")
    return KeyDate(
        when, _text(t.get("label"), "[[key_dates]] label"), _url(t.get("source"), "[[key_dates]] source"), until
    )


def _fact(t: dict) -> Fact:
    unit = _keys(t, "[[facts]]", "unit value date label source url").get("unit")
    if unit not in UNITS:
        raise LoadError("[[facts]] unit must be one of {units}.", units=", ".join(UNITS))
    value = t.get("value")
    if unit != "date" and (not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)):
        raise LoadError("[[facts]] value must be a number.")
    when = _date(t.get("date"), "[[facts]] date", optional=unit != "date")
    return Fact(unit, _text(t.get("label"), "[[facts]] label"), _text(t.get("source"), "[[facts]] source"),
                _url(t.get("url"), "[[facts]] url"), value, when)  # fmt: skip


def _keys(table: dict, where: str, allowed: str) -> dict:
    """``table``, when it has no key but those ``allowed`` (a typo such as ``colour`` would be ignored)."""
    unknown = sorted(set(table) - set(allowed.split()))
    if unknown:
        raise LoadError("{where}: unknown key {key}. Known: {known}.", where=where, key=unknown[0], known=allowed)
    return table


def _table(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise LoadError("The plan file needs a table {where}.", where=where)
    return value


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise LoadError("{where} must be a list.", where=where)
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LoadError("{where} must be a non-empty string.", where=where)
    return value.strip()


def _text(value: object, where: str, *, optional: bool = False) -> Text:
    """A string, or a table of strings per language (en, fr, es)."""
    if optional and value in ({}, ""):
        return {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not value or not set(value) <= set(LANGUAGES):
        raise LoadError("{where} must be a string or a table with en, fr and es strings.", where=where)
    return {lang: _str(v, where) for lang, v in value.items()}


def _date(value: object, where: str, *, optional: bool = True) -> date | None:
    if value is None and optional:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise LoadError("{where} must be a date written as YYYY-MM-DD.", where=where)
    return value


def _url(value: object, where: str, *, optional: bool = False) -> str:
    if optional and value == "":
        return ""
    if not isinstance(value, str) or safe.http_url(value) is None:
        raise LoadError("{where} must be an http(s) link.", where=where)
    return value


def _color(value: object, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise LoadError("{where}: a colour is written #RRGGBB.", where=where)
    return value


@cache
def bundled() -> Plan:
    """The plan in data/plan.toml, the dashboard's default."""
    return parse(BUNDLED.read_bytes())


_current: contextvars.ContextVar[Plan | None] = contextvars.ContextVar("plan", default=None)


def use(plan: Plan) -> Plan:
    """Make ``plan`` the plan of this script run (or thread)."""
    _current.set(plan)
    return plan


def current() -> Plan:
    return _current.get() or bundled()
