"""Downloads of the rows in view: CSV, Excel and the one-page briefing, each built
only when its button is clicked."""

from __future__ import annotations

import contextvars
from datetime import date

import streamlit as st

from .. import charts, i18n, metrics, safe, spreadsheet, timeline
from ..briefing import briefing_html
from ..i18n import _
from . import url
from .run import Ctx, filters_text


def deferred(fn):
    """A download callable that runs later, on another thread, in this run's
    context (language and view), so it is only computed when clicked."""
    frozen = contextvars.copy_context()
    return lambda: frozen.run(fn)


def briefing(ctx: Ctx, link: str) -> str:
    """The briefing of the view; ``link`` is its share link, read while the page runs (``st.context`` is not
    there when the download is built)."""
    k = metrics.kpis(ctx.df, ctx.today)
    kpis = [
        (_("Initiatives in view"), i18n.fmt_int(k.total)),
        (_("Completed"), i18n.fmt_pct(k.completed_share)),
        (_("Due in 90 days"), i18n.fmt_int(k.due_soon)),
        (_("Overdue"), i18n.fmt_int(k.overdue)),
    ]
    figs = [charts.status_by_pillar(ctx.df), timeline.timeline(ctx.df, ctx.today)] if len(ctx.df) else []
    return briefing_html(
        title=ctx.ds.plan.title(),
        filters_text=filters_text(ctx),
        kpis=kpis,
        figures=figs,
        table=ctx.df,
        as_of=i18n.fmt_date(ctx.ds.as_of),
        link=link,
        lang=i18n.language(),
        generated=i18n.fmt_date(date.today()),
        snapshot=i18n.fmt_date(ctx.today) if ctx.view.asof else "",
        source_note=_(
            "Sources: each initiative links to its public source. Compiled by the Canada–Mexico Action Plan Tracker."
        ),
    )


def downloads(ctx: Ctx) -> None:
    """CSV, Excel and briefing downloads of the rows in view, built only when clicked."""
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    link = url.share_link(ctx.view) or ""
    buttons = (
        (
            _("Download CSV"),
            lambda: spreadsheet.to_csv_bytes(ctx.whole_rows()),
            "cmap-initiatives",
            "csv",
            "text/csv",
            ":material/download:",
            None,
        ),
        (
            _("Download Excel"),
            lambda: spreadsheet.to_xlsx_bytes(ctx.whole_rows(), sheet_name=_("Initiatives")),
            "cmap-initiatives",
            "xlsx",
            xlsx,
            ":material/table:",
            None,
        ),
        (
            _("Download briefing (HTML)"),
            lambda: briefing(ctx, link),
            "cmap-briefing",
            "html",
            "text/html",
            ":material/description:",
            _("One file with the filters, key figures, charts and sources. Opens offline."),
        ),
    )
    for col, (label, build, stem, ext, mime, icon, tip) in zip(st.columns(3), buttons):
        col.download_button(
            safe.md(label),
            deferred(build),
            # cmap-initiatives-2026-11-27.csv; in a view as of a date, cmap-initiatives-as-of-2026-01-15.csv
            file_name=spreadsheet.filename(f"{stem}-as-of" if ctx.view.asof else stem, ext, ctx.today),
            mime=mime,
            on_click="ignore",
            icon=icon,
            width="stretch",
            help=safe.md(tip) if tip else None,
        )
