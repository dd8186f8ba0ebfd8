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

from . import i18n, labels
from .i18n import _
from .safe import http_url
from .spreadsheet import cell_text

BRIEFING_MAX_ROWS = 1000
_HTML = {"config": {"displaylogo": False, "responsive": True}, "default_width": "100%", "default_height": "450px"}
TEMPLATES = Path(__file__).resolve().parent / "templates"
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@functools.cache
def _template() -> jinja2.Template:
    """The page template, autoescaping every value after ``finalize`` writes it as a cell
    shows it (missing values empty, dates ISO)."""
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
        "snapshot": label("This briefing shows the data as it was on {date}: the snapshot of that date."),
    }


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        return url
    return host.removeprefix("www.")


def _view(table: pd.DataFrame) -> tuple[pd.DataFrame, int | None, set[int]]:
    """(columns to list, index of the link column, columns kept on one line): the
    initiatives as id, title, pillar, status, start, end and source; any other frame
    as given, a column named ``source_url`` or "Source" being the links."""
    if {"id", "title", "pillar", "status", "start_date", "source_url"} <= set(table.columns):
        view = pd.DataFrame(
            {
                "id": table["id"],
                _("Title"): labels.local_titles(table),
                _("Pillar"): table["pillar"].map(labels.pillar, na_action="ignore"),
                _("Status"): table["status"].map(labels.status, na_action="ignore"),
                _("Start"): table["start_date"],
                _("End"): table["end_date"] if "end_date" in table else pd.NaT,
                _("Source"): table["source_url"],
            }
        )
        return view, 6, {0, 4, 5}
    names = [str(c) for c in table.columns]
    link_col = next((i for i, n in enumerate(names) if n in ("source_url", _("Source"), "Source")), None)
    nowrap = {i for i, c in enumerate(table.columns) if c == "id" or pd.api.types.is_datetime64_any_dtype(table[c])}
    return table, link_col, nowrap


def _rows(table: pd.DataFrame) -> dict:
    """Headers, rows of (text, link or None) cells, and the columns kept on one line; a
    cell of the link column is a link, showing the host, only when it is http(s)."""
    view, link_col, nowrap = _view(table)

    def cell(i: int, v: object) -> tuple:
        url = http_url(v) if i == link_col and isinstance(v, str) else None
        return (_host(url), url) if url else (v, None)

    rows = [[cell(i, v) for i, v in enumerate(values)] for values in view.itertuples(index=False, name=None)]
    return {"headers": [str(c) for c in view.columns], "rows": rows, "nowrap": nowrap}


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
    snapshot: str = "",
) -> str:
    """A self-contained HTML briefing of the current view (opens offline, prints on A4).

    Every text argument is shown HTML-escaped; ``figures`` are Plotly figures, with
    plotly.js inlined once; at most ``max_rows`` rows of ``table`` are listed; ``link``
    is a link only when it is http(s). ``snapshot``, the date of a view as of a date, is named at the top. The
    page is in ``lang`` (its section labels
    translated unless ``labels`` gives them); the caller's language is not changed."""
    lang = str(lang or "")
    lang_attr = lang if _LANG_TAG.match(lang) else i18n.DEFAULT
    given = dict(labels or {})

    def run() -> str:
        i18n.set_language(i18n.negotiate(lang_attr))  # only inside this copied context
        words = _labels(given)
        # Markup, not escaped: each figure as plotly writes it (its JSON escaped by plotly
        # for a <script> body, so a title cannot close it), and plotly.js, inlined once.
        charts = [Markup(fig.to_html(full_html=False, include_plotlyjs=False, **_HTML)) for fig in figures]
        total = len(table)
        shown = table.iloc[:max_rows] if max_rows and total > max_rows else table
        rows = None
        if total:
            rows = _rows(shown)
            rows["note"] = words["showing"].format(shown=len(shown), total=total) if len(shown) < total else ""
        return _template().render(
            labels=words,
            charts=charts,
            plotly_js=Markup(get_plotlyjs()) if charts else None,
            table=rows,
            link=link,
            link_href=http_url(link),
            title=title,
            filters_text=filters_text,
            kpis=list(kpis),
            as_of=as_of,
            lang=lang_attr,
            generated=generated,
            source_note=source_note,
            snapshot_note=words["snapshot"].format(date=snapshot) if snapshot else "",
        )

    return contextvars.copy_context().run(run)
