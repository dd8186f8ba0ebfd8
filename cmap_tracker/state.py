"""All view state in one object, and its one mapping to and from the URL.

``View`` is to this dashboard what the grapher's config is to Our World in
Data: ``View.to_query()`` and ``View.from_query()`` round-trip exactly, so the
address bar always reproduces what is on screen. No query parameter can name
a file: ``DASHBOARD_DATA`` alone chooses the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .dataset import Dataset
from .filters import Filters
from .i18n import LANGUAGES
from .vocab import PILLARS, STATUSES, THEMES, fold

# URL key -> Filters field
FILTER_KEYS = {
    "pillar": "pillar",
    "sector": "sector",
    "status": "status",
    "theme": "theme",
    "from": "date_from",
    "to": "date_to",
    "q": "q",
}
VIEW_KEYS = ("id", "lang", "since", "until", "tab")
TABS = ("status", "sector")  # the overview's tabs; the first is open by default (no ``tab`` in the URL)
OWN_KEYS = tuple(FILTER_KEYS) + VIEW_KEYS
MAX_Q = 200
MAX_VALUES = 100  # values read per repeated parameter; the rest get one notice


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

    def to_query(self) -> dict[str, list[str]]:
        f = self.filters
        q: dict[str, list[str]] = {
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
    """Something in the link that was ignored: an unknown ``value`` of ``key``, or
    (``dropped`` > 0) that many values of ``key`` past MAX_VALUES."""

    key: str
    value: str
    dropped: int = 0


def _values(params: Mapping[str, str | Iterable[str]], key: str, notices: list[Notice] | None = None) -> list[str]:
    v = params.get(key)
    if v is None:
        return []
    values = [v] if isinstance(v, str) else [str(x) for x in v]
    if len(values) > MAX_VALUES and notices is not None:
        notices.append(Notice(key, "", dropped=len(values) - MAX_VALUES))
    return values[:MAX_VALUES]


def language(values: Iterable[str]) -> str:
    """The first supported language among a link's ``lang`` values, else ""."""
    return next((v for v in values if v in LANGUAGES), "")


def _pick(values: list[str], valid: Mapping[str, str], key: str, notices: list[Notice]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        hit = valid.get(v) or valid.get(fold(v))
        if hit is None:
            if v != "":
                notices.append(Notice(key, v))
        elif hit not in out:
            out.append(hit)
    return tuple(out)


def _date(values: list[str], key: str, notices: list[Notice]) -> date | None:
    if not values or values[0] == "":
        return None
    try:
        return date.fromisoformat(values[0][:10])
    except ValueError:
        notices.append(Notice(key, values[0]))
        return None


def from_query(
    params: Mapping[str, str | Iterable[str]], ds: Dataset, snapshots: Iterable[str] = ()
) -> tuple[View, list[Notice]]:
    """Parse URL parameters. Unknown values are dropped and returned as notices."""
    notices: list[Notice] = []
    pillars = {s: s for s in PILLARS.slugs}
    statuses = {s: s for s in STATUSES.slugs}
    sectors = {sector_slug(s): s for s in ds.sectors} | {s: s for s in ds.sectors}
    theme_set = set(ds.theme_slugs) | set(THEMES.slugs)
    themes = {t: t for t in theme_set}
    f = Filters(
        pillar=_pick(_values(params, "pillar", notices), pillars, "pillar", notices),
        sector=_pick(_values(params, "sector", notices), sectors, "sector", notices),
        status=_pick(_values(params, "status", notices), statuses, "status", notices),
        theme=_pick(_values(params, "theme", notices), themes, "theme", notices),
        date_from=_date(_values(params, "from"), "from", notices),
        date_to=_date(_values(params, "to"), "to", notices),
        q=(_values(params, "q") or [""])[0][:MAX_Q],
    )
    ident = (_values(params, "id") or [""])[0]
    if ident and ident not in set(ds.frame["id"]):
        notices.append(Notice("id", ident))
        ident = ""
    langs = _values(params, "lang", notices)
    lang = language(langs)
    notices.extend(Notice("lang", v) for v in langs if v and v not in LANGUAGES)
    snaps = set(snapshots)
    since = (_values(params, "since") or [""])[0]
    until = (_values(params, "until") or [""])[0]
    if since and since not in snaps:
        notices.append(Notice("since", since))
        since = ""
    if until and until not in snaps:
        notices.append(Notice("until", until))
        until = ""
    tab = (_values(params, "tab") or [""])[0]
    if tab and tab not in TABS:
        notices.append(Notice("tab", tab))
    tab = tab if tab in TABS[1:] else ""
    return View(f, ident, lang, since, until, tab), notices
