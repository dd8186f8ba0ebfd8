"""The one-page HTML briefing of the current view: a self-contained file that opens
offline, rendered from templates/briefing.html.j2 by Jinja2 with autoescape on."""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import pandas as pd
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from . import i18n
from .i18n import _
from .safe import http_url
from .spreadsheet import cell_text
from .vocab import PILLARS, STATUSES

BRIEFING_MAX_ROWS = 1000
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
TEMPLATES = Path(__file__).resolve().parent / "templates"
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@functools.cache
def _template() -> jinja2.Template:
    """The page template. Autoescape is on for every value; ``finalize`` first writes
    each value as a spreadsheet cell shows it (missing values empty, dates ISO)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=cell_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("briefing.html.j2")


def _labels(given: Mapping[str, str]) -> dict[str, str]:
    """The page's own words in the current language; ``given`` overrides them by message id."""

    def label(msgid: str) -> str:
        return given.get(msgid) or _(msgid)

    return {
        "data_as_of": label("Data as of"),
        "generated": label("Generated"),
        "filters": label("Filters"),
        "key_figures": label("Key figures"),
        "charts": label("Charts"),
        "initiatives": label("Initiatives"),
        "live_view": label("Live view"),
        "no_rows": label("No initiatives match these filters."),
        "showing": label("Showing the first {shown} of {total} initiatives; download the CSV for all of them."),
    }


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        return url
    return host[4:] if host.startswith("www.") else host


def _view(table: pd.DataFrame) -> tuple[pd.DataFrame, int | None, set[int]]:
    """(columns to list, index of the column shown as links, columns kept on one line).

    A frame with the contract columns (the filtered initiatives) is shown as
    id, title (in the current language), pillar, status, start, end, source.
    Any other frame (e.g. ``ui.display_frame``) is shown as given; a column
    named ``source_url`` or "Source" is the link column."""
    lang = i18n.language()
    if {"id", "title", "pillar", "status", "start_date", "source_url"} <= set(table.columns):
        title = table["title"].astype(object).where(table["title"].notna(), "")
        if lang != "en" and f"title_{lang}" in table:
            alt = table[f"title_{lang}"].astype(object).where(table[f"title_{lang}"].notna(), "")
            title = alt.where(alt != "", title)
        end = table["end_date"] if "end_date" in table else pd.Series(pd.NaT, index=table.index)
        view = pd.DataFrame(
            {
                "id": table["id"].to_numpy(dtype=object),
                _("Title"): title.to_numpy(dtype=object),
                _("Pillar"): [_(PILLARS.label(str(p))) if pd.notna(p) else "" for p in table["pillar"]],
                _("Status"): [_(STATUSES.label(str(s))) if pd.notna(s) else "" for s in table["status"]],
                _("Start"): table["start_date"].to_numpy(dtype=object),
                _("End"): end.to_numpy(dtype=object),
                _("Source"): table["source_url"].to_numpy(dtype=object),
            }
        )
        return view, 6, {0, 4, 5}
    names = [str(c) for c in table.columns]
    link_col = next((i for i, n in enumerate(names) if n in ("source_url", _("Source"), "Source")), None)
    nowrap = {i for i, c in enumerate(table.columns) if c == "id" or pd.api.types.is_datetime64_any_dtype(table[c])}
    return table, link_col, nowrap


def _rows(table: pd.DataFrame) -> dict:
    """The table as the template lists it: headers, rows of (value, link or None)
    cells, and the columns kept on one line. A cell of the link column is a link,
    showing the host name, only when it is an http(s) URL."""
    view, link_col, nowrap = _view(table)
    rows = []
    for values in view.itertuples(index=False, name=None):
        cells = []
        for i, v in enumerate(values):
            url = http_url(v) if i == link_col and isinstance(v, str) else None
            cells.append((_host(url), url) if url else (v, None))
        rows.append(cells)
    return {"headers": [str(c) for c in view.columns], "rows": rows, "nowrap": nowrap}


def _charts(figures: Iterable) -> list[Markup]:
    # Markup, not escaped: each figure's div and script as plotly writes them (its
    # JSON is escaped by plotly for a <script> body, so a title cannot close it).
    return [
        Markup(
            fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                config=PLOTLY_CONFIG,
                default_width="100%",
                default_height="450px",
            )
        )
        for fig in figures
    ]


def _render(
    *, table: pd.DataFrame, figures: Iterable, link: str, labels: Mapping[str, str], max_rows: int, **text: object
) -> str:
    words = _labels(labels)
    charts = _charts(figures)
    total = len(table)
    shown = table.iloc[:max_rows] if max_rows and total > max_rows else table
    rows = None
    if total:
        rows = _rows(shown)
        rows["note"] = words["showing"].format(shown=len(shown), total=total) if len(shown) < total else ""
    # Markup, not escaped: the plotly.js bundle shipped with plotly, inlined once so the page opens offline.
    plotly_js = Markup(get_plotlyjs()) if charts else None
    return _template().render(
        labels=words, charts=charts, plotly_js=plotly_js, table=rows, link=link, link_href=http_url(link), **text
    )


def briefing_html(
    *,
    title: str,
    filters_text: str,
    kpis: Sequence[tuple[str, str]],
    figures: Iterable,
    table: pd.DataFrame,
    as_of: str,
    link: str,
    lang: str,
    generated: str,
    source_note: str,
    labels: Mapping[str, str] | None = None,
    max_rows: int = BRIEFING_MAX_ROWS,
) -> str:
    """A self-contained HTML briefing of the current view (opens offline, prints on A4).

    ``title``, ``filters_text``, ``kpis`` (label, formatted value), ``as_of``,
    ``generated`` and ``source_note`` are shown as text (HTML-escaped).
    ``figures`` are Plotly figures, embedded interactive with plotly.js inlined
    once. ``table`` is the filtered initiatives frame (see ``_view``); at most
    ``max_rows`` rows are listed. ``link`` (the live view) is a link only when
    it is an http(s) address. ``lang`` sets ``<html lang>`` and the language of
    the section labels, which are the message ids "Filters", "Key figures",
    "Charts", "Initiatives", "Data as of", "Live view", "Generated" translated
    by ``i18n`` unless ``labels`` gives them. The caller's language setting is
    not changed.
    """
    lang = str(lang or "")
    lang_attr = lang if _LANG_TAG.match(lang) else i18n.DEFAULT

    def run() -> str:
        i18n.set_language(i18n.negotiate(lang_attr))  # only inside this copied context
        return _render(
            table=table,
            figures=figures,
            link=link,
            labels=dict(labels or {}),
            max_rows=max_rows,
            title=title,
            filters_text=filters_text,
            kpis=list(kpis),
            as_of=as_of,
            lang=lang_attr,
            generated=generated,
            source_note=source_note,
        )

    return contextvars.copy_context().run(run)
