"""Downloads of the rows in view: CSV, Excel and the one-page briefing, each built
only when its button is clicked."""

from __future__ import annotations

import contextvars

import streamlit as st

from .. import figures, i18n, metrics, spreadsheet, timeline
from ..briefing import briefing_html
from ..i18n import _
from . import url
from .run import Ctx, filters_text


def deferred(fn):
    """A download callable that runs later, on another thread, in this run's
    context (language and view), so it is only computed when clicked."""
    frozen = contextvars.copy_context()
    return lambda: frozen.run(fn)


def briefing(ctx: Ctx) -> str:
    k = metrics.kpis(ctx.df, ctx.today)
    kpis = [
        (_("Initiatives in view"), i18n.fmt_int(k.total)),
        (_("Completed"), i18n.fmt_pct(k.completed_share)),
        (_("Due in 90 days"), i18n.fmt_int(k.due_soon)),
        (_("Overdue"), i18n.fmt_int(k.overdue)),
    ]
    figs = [figures.status_by_pillar(ctx.df), timeline.timeline(ctx.df, ctx.today)] if len(ctx.df) else []
    return briefing_html(
        title=_("Canada–Mexico Action Plan 2025–2028"),
        filters_text=filters_text(ctx),
        kpis=kpis,
        figures=figs,
        table=ctx.df,
        as_of=i18n.fmt_date(ctx.ds.as_of),
        link=url.share_link(ctx.view) or "",
        lang=i18n.language(),
        generated=i18n.fmt_date(ctx.today),
        source_note=_(
            "Sources: each initiative links to its public source. Compiled by the Canada–Mexico Action Plan Tracker."
        ),
    )


def downloads(ctx: Ctx) -> None:
    """CSV, Excel and briefing downloads of the rows in view, built only when clicked."""
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        _("Download CSV"),
        deferred(lambda: spreadsheet.to_csv_bytes(ctx.whole_rows())),
        file_name=spreadsheet.filename("cmap-initiatives", "csv", ctx.today),
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
    c2.download_button(
        _("Download Excel"),
        deferred(lambda: spreadsheet.to_xlsx_bytes(ctx.whole_rows(), sheet_name=_("Initiatives"))),
        file_name=spreadsheet.filename("cmap-initiatives", "xlsx", ctx.today),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/table:",
        width="stretch",
    )
    c3.download_button(
        _("Download briefing (HTML)"),
        deferred(lambda: briefing(ctx)),
        file_name=spreadsheet.filename("cmap-briefing", "html", ctx.today),
        mime="text/html",
        on_click="ignore",
        icon=":material/description:",
        width="stretch",
        help=_("One file with the filters, key figures, charts and sources. Opens offline."),
    )
