"""All view state in one object, and its one mapping to and from the URL: ``View.to_query()`` and ``from_query()``
round-trip exactly, so the address bar always reproduces what is on screen. No query parameter can name a file."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .dataset import Dataset
from .filters import Filters
from .i18n import LANGUAGES
from .vocab import STATUSES, THEMES, fold

OWN_KEYS = (
    "asof",
    "pillar",
    "sector",
    "status",
    "theme",
    "from",
    "to",
    "q",
    "id",
    "detail",
    "lang",
    "since",
    "until",
    "tab",
)
ID_KEYS = ("id", "detail")  # the detail card's initiative; ``detail`` is read as ``id`` and written back as it
TABS = ("status", "sector")  # the overview's tabs; the first is open by default (no ``tab`` in the URL)
MAX_Q = 200
MAX_VALUES = 100  # values read per repeated parameter; the rest get one notice
Params = Mapping[str, str | Iterable[str]]  # a link's query parameters


def sector_slug(sector: str) -> str:
    return fold(sector).replace(" ", "-")


@dataclass(frozen=True)
class View:
    filters: Filters = field(default_factory=Filters)
    id: str = ""
    lang: str = ""
    since: str = ""
    until: str = ""
    tab: str = ""  # the overview's open tab, when not the first
    asof: str = ""  # the date of the snapshot shown instead of the latest data

    def to_query(self) -> dict[str, list[str]]:
        f = self.filters
        q: dict[str, list[str]] = {
            "asof": [self.asof] if self.asof else [],
            "pillar": list(f.pillar),
            "sector": [sector_slug(s) for s in f.sector],
            "status": list(f.status),
            "theme": list(f.theme),
            "from": [f.date_from.isoformat()] if f.date_from else [],
            "to": [f.date_to.isoformat()] if f.date_to else [],
            "q": [f.q] if f.q.strip() else [],
            "id": [self.id] if self.id else [],
            "lang": [self.lang] if self.lang else [],
            "since": [self.since] if self.since else [],
            "until": [self.until] if self.until else [],
            "tab": [self.tab] if self.tab and self.tab != TABS[0] else [],
        }
        return {k: v for k, v in q.items() if v}


@dataclass(frozen=True)
class Notice:
    """Something in the link that was ignored: an unknown ``value`` of ``key``, or ``dropped`` values past MAX_VALUES."""

    key: str
    value: str
    dropped: int = 0


def _values(params: Params, key: str, notices: list[Notice] | None = None) -> list[str]:
    v = params.get(key)
    if v is None:
        return []
    values = [v] if isinstance(v, str) else [str(x) for x in v]
    if len(values) > MAX_VALUES and notices is not None:
        notices.append(Notice(key, "", dropped=len(values) - MAX_VALUES))
    return values[:MAX_VALUES]


def _first(params: Params, key: str) -> str:
    return (_values(params, key) or [""])[0]


def _known(params: Params, key: str, known: Container[str], notices: list[Notice]) -> str:
    """The first value of ``key`` when it is ``known``, else "" (with a notice unless it is empty)."""
    value = _first(params, key)
    if value and value not in known:
        notices.append(Notice(key, value))
        return ""
    return value


def language(values: Iterable[str]) -> str:
    """The first supported language among a link's ``lang`` values, else ""."""
    return next((v for v in values if v in LANGUAGES), "")


def _pick(values: list[str], valid: Mapping[str, str], key: str, notices: list[Notice]) -> tuple[str, ...]:
    """The ``valid`` value each of ``values`` (or its fold) names, each once; a notice for any other but ""."""
    hits = [valid.get(v) or valid.get(fold(v)) for v in values]
    notices.extend(Notice(key, v) for v, hit in zip(values, hits) if hit is None and v != "")
    return tuple(dict.fromkeys(hit for hit in hits if hit is not None))


def _date(value: str, key: str, notices: list[Notice]) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        notices.append(Notice(key, value))
        return None


def snapshot_on(value: str, snapshots: Iterable[str]) -> str:
    """The newest of the ``snapshots`` (ISO dates) on or before the date ``value`` (``YYYY-MM-DD``), else ""."""
    try:
        wanted = date.fromisoformat(value).isoformat() if len(value) == 10 else ""
    except ValueError:
        wanted = ""
    return max((s for s in snapshots if s <= wanted), default="") if wanted else ""


def as_of(params: Params, snapshots: Iterable[str], notices: list[Notice] | None = None) -> str:
    """The snapshot a link's ``asof`` date asks for: the newest on or before it. A value that is not a date, or is
    before the first snapshot, gives "" (the latest data) and a notice."""
    value = _first(params, "asof")
    found = snapshot_on(value, snapshots)
    if value and not found and notices is not None:
        notices.append(Notice("asof", value))
    return found


def from_query(params: Params, ds: Dataset, snapshots: Iterable[str] = ()) -> tuple[View, list[Notice]]:
    """Parse URL parameters. Unknown values are dropped and returned as notices. ``ds`` is the data the link
    shows: with ``asof``, the snapshot that ``as_of`` picks among ``snapshots``."""
    notices: list[Notice] = []
    snaps = set(snapshots)
    asof = as_of(params, snaps, notices)
    valid = {
        "pillar": {s: s for s in ds.plan.pillars.slugs},
        "sector": {sector_slug(s): s for s in ds.sectors} | {s: s for s in ds.sectors},
        "status": {s: s for s in STATUSES.slugs},
        "theme": {t: t for t in set(ds.theme_slugs) | set(THEMES.slugs)},
    }
    picked = {key: _pick(_values(params, key, notices), options, key, notices) for key, options in valid.items()}
    f = Filters(
        **picked,
        date_from=_date(_first(params, "from"), "from", notices),
        date_to=_date(_first(params, "to"), "to", notices),
        q=_first(params, "q")[:MAX_Q],
    )
    id_key = next((k for k in ID_KEYS if k in params), ID_KEYS[0])
    ident = _known(params, id_key, set(ds.frame["id"]) if id_key in params else (), notices)
    langs = _values(params, "lang", notices)
    notices.extend(Notice("lang", v) for v in langs if v and v not in LANGUAGES)
    since, until = _known(params, "since", snaps, notices), _known(params, "until", snaps, notices)
    tab = _known(params, "tab", TABS, notices)
    return View(f, ident, language(langs), since, until, "" if tab == TABS[0] else tab, asof), notices
