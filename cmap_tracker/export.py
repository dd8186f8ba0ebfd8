"""The HTML briefing of the current view: one self-contained file that opens
offline (plotly.js inlined once, no external resources), all data HTML-escaped
text and links only for http(s) addresses."""
from __future__ import annotations

import contextvars
import html
import re
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

import pandas as pd

from . import i18n
from .i18n import _
from .spreadsheet import cell_text
from .vocab import PILLARS, STATUSES

BRIEFING_MAX_ROWS = 1000
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
# The file may fetch nothing: inline scripts and styles only, images from data:/blob: (Plotly's PNG export).
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'")

_HTTP = re.compile(r"^https?://\S+$", re.IGNORECASE)
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


# ------------------------------------------------------------------- briefing


def _e(value: object) -> str:
    """Data as HTML text: formatted like a cell (no spreadsheet quote), then escaped."""
    return html.escape(cell_text(value), quote=True)


def http_url(value: object) -> str | None:
    """The value if it is an http(s) address, else None (never a javascript: or data: link)."""
    if not isinstance(value, str):
        return None
    u = value.strip()
    return u if _HTTP.match(u) else None


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{_e(text or url)}</a>'


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        return url
    return host[4:] if host.startswith("www.") else host


def _briefing_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]], set[int]]:
    """(escaped headers, rows of HTML cells, columns kept on one line) for the table.

    A frame with the contract columns (the filtered initiatives) is shown as
    id, title (in the current language), pillar, status, start, end, source.
    Any other frame (e.g. ``ui.display_frame``) is shown as given; a column
    named ``source_url`` or "Source" is rendered as links."""
    lang = i18n.language()
    if {"id", "title", "pillar", "status", "start_date", "source_url"} <= set(table.columns):
        title = table["title"].astype(object).where(table["title"].notna(), "")
        if lang != "en" and f"title_{lang}" in table:
            alt = table[f"title_{lang}"].astype(object).where(table[f"title_{lang}"].notna(), "")
            title = alt.where(alt != "", title)
        end = table["end_date"] if "end_date" in table else pd.Series(pd.NaT, index=table.index)
        view = pd.DataFrame({
            "id": table["id"].to_numpy(dtype=object),
            _("Title"): title.to_numpy(dtype=object),
            _("Pillar"): [_(PILLARS.label(str(p))) if pd.notna(p) else "" for p in table["pillar"]],
            _("Status"): [_(STATUSES.label(str(s))) if pd.notna(s) else "" for s in table["status"]],
            _("Start"): table["start_date"].to_numpy(dtype=object),
            _("End"): end.to_numpy(dtype=object),
            _("Source"): table["source_url"].to_numpy(dtype=object),
        })
        link_col: int | None = 6
        nowrap = {0, 4, 5}
    else:
        view = table
        names = [str(c) for c in view.columns]
        link_col = next((i for i, n in enumerate(names) if n in ("source_url", _("Source"), "Source")), None)
        nowrap = {i for i, c in enumerate(view.columns) if c == "id" or pd.api.types.is_datetime64_any_dtype(view[c])}
    headers = [_e(str(c)) for c in view.columns]
    rows: list[list[str]] = []
    for values in view.itertuples(index=False, name=None):
        cells = []
        for i, v in enumerate(values):
            url = http_url(v) if i == link_col else None
            cells.append(_link(url, _host(url)) if url else _e(v))
        rows.append(cells)
    return headers, rows, nowrap


CSS = """
@page { size: A4; margin: 14mm 12mm; }
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       font-size: 11pt; line-height: 1.4; color: #111; background: #fff;
       max-width: 190mm; margin: 0 auto; padding: 8mm 6mm; }
h1 { font-size: 18pt; line-height: 1.2; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 16pt 0 6pt; padding-bottom: 2pt; border-bottom: 1px solid #888; }
p { margin: 0 0 6pt; }
.meta, footer { color: #333; font-size: 9.5pt; }
.kpis { display: flex; flex-wrap: wrap; gap: 6pt; margin: 0; padding: 0; }
.kpi { border: 1px solid #888; padding: 4pt 8pt; min-width: 30mm; }
.kpi dt { font-size: 9pt; color: #333; }
.kpi dd { margin: 0; font-size: 15pt; font-weight: 600; }
figure.chart { margin: 0 0 10pt; width: 100%; break-inside: avoid; page-break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #888; padding: 3pt 4pt; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.nowrap { white-space: nowrap; }
a { color: #0645ad; }
footer { margin-top: 16pt; border-top: 1px solid #888; padding-top: 6pt; }
@media print {
  body { padding: 0; max-width: none; }
  a { color: inherit; }
  .modebar-container { display: none !important; }
}
""".strip()


def _briefing(*, title: str, filters_text: str, kpis: Sequence[tuple[str, str]], figures: Iterable,
              table: pd.DataFrame, as_of: str, link: str, lang_attr: str, generated: str,
              source_note: str, labels: Mapping[str, str], max_rows: int) -> str:
    def label(msgid: str) -> str:
        return labels.get(msgid) or _(msgid)

    parts: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang_attr, quote=True)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>{_e(title)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(label("Data as of"))}: {_e(as_of)} · {_e(label("Generated"))}: {_e(generated)}</p>',
        "</header>",
        f'<section><h2>{_e(label("Filters"))}</h2><p class="filters">{_e(filters_text)}</p></section>',
    ]
    if kpis:
        items = "".join(f'<div class="kpi"><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>' for k, v in kpis)
        parts.append(f'<section><h2>{_e(label("Key figures"))}</h2><dl class="kpis">{items}</dl></section>')

    charts = []
    for i, fig in enumerate(figures):
        body = fig.to_html(full_html=False, include_plotlyjs=(i == 0), config=PLOTLY_CONFIG,
                           default_width="100%", default_height="450px")
        charts.append(f'<figure class="chart">{body}</figure>')
    if charts:
        parts.append(f'<section><h2>{_e(label("Charts"))}</h2>{"".join(charts)}</section>')

    parts.append(f'<section><h2>{_e(label("Initiatives"))}</h2>')
    total = len(table)
    if total == 0:
        parts.append(f'<p>{_e(label("No initiatives match these filters."))}</p>')
    else:
        shown = table.iloc[:max_rows] if max_rows and total > max_rows else table
        headers, rows, nowrap = _briefing_rows(shown)
        if len(shown) < total:
            parts.append("<p>" + _e(label("Showing the first {shown} of {total} initiatives; download the CSV for all of them.")
                                    .format(shown=len(shown), total=total)) + "</p>")
        head = "".join(f'<th scope="col">{h}</th>' for h in headers)
        td = ['<td class="nowrap">' if i in nowrap else "<td>" for i in range(len(headers))]
        body = "\n".join("<tr>" + "".join(f"{td[i]}{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
        parts.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")
    parts.append("</section>")

    url = http_url(link)
    live = _link(url) if url else _e(link)
    foot = [f'<p>{_e(label("Data as of"))}: {_e(as_of)}</p>']
    if link:
        foot.append(f'<p>{_e(label("Live view"))}: {live}</p>')
    if source_note:
        foot.append(f'<p class="source">{_e(source_note)}</p>')
    parts += ["<footer>", *foot, "</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def briefing_html(*, title: str, filters_text: str, kpis: Sequence[tuple[str, str]], figures: Iterable,
                  table: pd.DataFrame, as_of: str, link: str, lang: str, generated: str,
                  source_note: str, labels: Mapping[str, str] | None = None,
                  max_rows: int = BRIEFING_MAX_ROWS) -> str:
    """A self-contained HTML briefing of the current view (opens offline, prints on A4).

    ``title``, ``filters_text``, ``kpis`` (label, formatted value), ``as_of``,
    ``generated`` and ``source_note`` are shown as text (HTML-escaped).
    ``figures`` are Plotly figures, embedded interactive with plotly.js inlined
    once (in the first). ``table`` is the filtered initiatives frame (see
    ``_briefing_rows``); at most ``max_rows`` rows are listed. ``link`` (the
    live view) is a link only when it is an http(s) address. ``lang`` sets
    ``<html lang>`` and the language of the section labels, which are the
    message ids "Filters", "Key figures", "Charts", "Initiatives", "Data as of",
    "Live view", "Generated" translated by ``i18n`` unless ``labels`` gives them.
    The caller's language setting is not changed.
    """
    lang = str(lang or "")
    lang_attr = lang if _LANG_TAG.match(lang) else i18n.DEFAULT

    def run() -> str:
        i18n.set_language(i18n.negotiate(lang_attr))  # only inside this copied context
        return _briefing(title=title, filters_text=filters_text, kpis=list(kpis), figures=figures,
                         table=table, as_of=as_of, link=link, lang_attr=lang_attr, generated=generated,
                         source_note=source_note, labels=dict(labels or {}), max_rows=max_rows)

    return contextvars.copy_context().run(run)
