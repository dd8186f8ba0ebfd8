"""One run of the app: language, data and view first, then the page, then the sidebar
and the address bar. Pages start with ``page()``, which returns the run's ``Ctx``."""

from __future__ import annotations

import contextlib
import contextvars
import gc
import threading
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .. import i18n, plan, safe, state
from ..dataset import Dataset
from ..filters import Filters
from ..i18n import N_, _
from ..snapshots import Snapshot
from ..sources import public_name
from ..state import View
from . import data, sidebar, url
from .data import ROOT
from .url import LANG_KEY


@dataclass(frozen=True, eq=False)
class Ctx:
    ds: Dataset
    view: View
    today: date  # the day the view is of: the snapshot's date in a view as of a date, so its KPIs stay the same
    uploaded: bool
    snapshots: tuple[Snapshot, ...]  # every dated snapshot of the served plan (listed once per run)

    @property
    def filters(self) -> Filters:
        return self.view.filters

    @property
    def df(self) -> pd.DataFrame:
        """The rows in view, with the columns pages draw (shared across sessions: read only)."""
        return self.filters.apply(self.ds)

    @property
    def count(self) -> int:
        """How many rows are in view."""
        f = self.filters
        return len(self.ds.frame) if f.is_empty() else int(np.count_nonzero(f.mask(self.ds)))

    def whole_rows(self) -> pd.DataFrame:
        """The rows in view with every column, for exports (built when a download is clicked)."""
        return self.filters.apply(self.ds, whole=True)


_ctx: contextvars.ContextVar[Ctx] = contextvars.ContextVar("ctx")


def current() -> Ctx:
    """This run's context (after ``start()``)."""
    return _ctx.get()


def start() -> Ctx | None:
    """Run before the page: language, data, URL seeding, the rows in view. Returns the
    context, or None after showing a clear error (the app never shows a traceback)."""
    ss = st.session_state
    if LANG_KEY not in ss:
        ss[LANG_KEY] = i18n.negotiate(getattr(st.context, "locale", None))
        lang_q = state.language(st.query_params.get_all("lang"))
        if lang_q:
            ss[LANG_KEY] = lang_q
            ss["_lang_chosen"] = True
    i18n.set_language(ss[LANG_KEY])
    st.set_page_config(
        page_title=_("Canada–Mexico Action Plan Tracker"), page_icon=":material/handshake:", layout="wide"
    )

    try:
        snaps = data.all_snapshots()
        if not ss.get("_seeded"):
            url.seed_asof(data.loaded_dates(snaps))  # before the data: a link's date chooses it
        ds, uploaded = data.dataset(snaps)
    except Exception as exc:  # noqa: BLE001 - never a traceback on screen
        st.error(safe.md_format(_("The data could not be loaded: {error}"), error=safe.clip(str(exc))))
        return None
    plan.use(ds.plan)
    if not ds.result.ok:
        assert ds.result.fatal is not None  # ok means fatal is None
        st.error(_("The data file could not be used."))
        st.markdown(safe.md(data.public_text(ds.result.fatal)))
        st.caption(
            safe.md_format(
                _("Source: {source}. The dashboard will use the file as soon as it is fixed; reload the page."),
                source=public_name(ds.result.source),
            )
        )
        return None

    if not ss.get("_seeded"):
        url.seed(ds, [s.date for s in snaps])
        ss["_seeded"] = True
    # The widgets' values are in session state before the widgets are drawn
    # (seeded from the URL, or sent by the browser with this run), so the
    # sidebar is drawn by finish(), after the page: the browser gets the
    # page's content, and its first chart, first.
    view = url.current_view()
    ctx = Ctx(ds, view, date.fromisoformat(view.asof) if view.asof else date.today(), uploaded, snaps)
    _ctx.set(ctx)
    _finished.set(False)
    return ctx


_finished: contextvars.ContextVar[bool] = contextvars.ContextVar("finished", default=False)


def finish(ctx: Ctx) -> None:
    """After the page: the sidebar (filters, language, share link) and the URL. Once per run."""
    if _finished.get():
        return
    _finished.set(True)
    if not embedded():
        with _app_wide():
            sidebar.draw(ctx.ds, ctx.snapshots, uploaded=ctx.uploaded)
    url.write_url(url.current_view())


def _app_wide():
    """Draw as the entry point, not the page. Streamlit gives each widget an id that
    includes the script it is drawn from (so that pages do not share widgets); the
    sidebar belongs to every page, and finish() runs after the page (dashboard.py's
    script), inside it (a page ending early with stop()) or inside a page file run
    by itself (the legacy pages/ path of a process's first run). Its widgets must
    keep one id in all three, or Streamlit treats them as new and resets them."""
    sctx = get_script_run_ctx()
    if sctx is None:
        return contextlib.nullcontext()
    return sctx.run_with_active_hash(sctx.pages_manager.main_script_hash)


def stop() -> NoReturn:
    """End the page early (st.stop) with the sidebar and URL still in place."""
    finish(current())
    st.stop()


PAGES = (  # (script, title message id, icon, url path = file name)
    ("pages/overview.py", N_("Overview"), ":material/home:", "overview"),
    ("pages/status.py", N_("Status"), ":material/bar_chart:", "status"),
    ("pages/timeline.py", N_("Timeline"), ":material/timeline:", "timeline"),
    ("pages/themes.py", N_("Themes"), ":material/category:", "themes"),
    ("pages/explorer.py", N_("Explorer"), ":material/table_view:", "explorer"),
    ("pages/changes.py", N_("What changed"), ":material/change_history:", "changes"),
    ("pages/data.py", N_("Data"), ":material/dataset:", "data"),
)


def embedded() -> bool:
    """True under Streamlit's ``?embed=true``: no sidebar, no page menu, filters from the link."""
    return bool(getattr(st.context, "is_embedded", False))


def run() -> None:
    """The whole app, once: what dashboard.py runs."""
    ctx = start()
    if ctx is None:  # an error page: no page menu (else Streamlit lists the pages/ files by name)
        navigation(hidden=True)
        return
    page = navigation()
    url.page_path.set(page.url_path)  # "" is the overview, the default page
    page.run()
    finish(ctx)
    _freeze_startup_heap()


_frozen = threading.Event()


def _freeze_startup_heap() -> None:
    """After the process's first full run, everything loaded so far (modules, Plotly's classes, the
    data) stays for the process's life: ``gc.freeze`` takes it out of the cyclic collector's walks.
    Full collections then took half the time under 20 viewers (300-360 ms in 30 s, not 620), each
    one a pause for every session (bench/README.md)."""
    if not _frozen.is_set():
        _frozen.set()
        gc.freeze()


def navigation(*, hidden: bool = False):
    return st.navigation(
        position="hidden" if hidden or embedded() else "sidebar",
        pages=[
            st.Page(str(ROOT / script), title=_(title), icon=icon, default=i == 0)
            for i, (script, title, icon, path) in enumerate(PAGES)
        ],
    )


def page(title: str, caption: str | None = None, *, needs_rows: bool = False) -> Ctx:
    """Every page starts here: its heading, the filters in words, any notices.
    With ``needs_rows``, an empty view shows the empty state and stops the page."""
    try:
        ctx = current()
    except LookupError:
        # Streamlit ran this page file by itself: with a pages/ folder beside
        # the entry point, a process's first run (and every AppTest run) takes
        # the legacy multipage path, which skips dashboard.py. Run the app as
        # dashboard.py does, here, in this run (st.navigation switches the
        # process to the new path and runs this page again, inside), then end
        # this outer pass. No second script run (st.rerun) is needed.
        run()
        st.stop()
    st.title(title, anchor=False)
    if caption:
        st.caption(caption)
    _link_notices(st.session_state.get("_notices") or [])
    if ctx.view.asof:
        _as_of_banner(ctx)
    if ctx.uploaded:
        st.info(
            safe.md_format(
                _("You are exploring your uploaded file “{name}”. It stays in this browser session only."),
                name=safe.clip(ctx.ds.result.source),
            ),
            icon=":material/upload_file:",
        )
    st.markdown(f"**{safe.md(filters_text(ctx))}**")
    if needs_rows and not ctx.count:
        empty_state()
        stop()
    return ctx


def _as_of_banner(ctx: Ctx) -> None:
    """Says that the page shows a snapshot, not the latest data, with a link to today's view."""
    latest = url.latest_link(ctx.view)
    st.info(
        safe.md_format(
            _("You are viewing the data as it was on {date}: the snapshot of that date, not the latest data."),
            date=i18n.fmt_date(ctx.today),
        )
        + (" " + safe.md_link(_("See today's view"), latest) if latest else ""),
        icon=":material/history:",
    )


SHOWN_NOTICES = 10  # unknown values listed by name; the rest are counted


def _link_notices(notices: list[state.Notice]) -> None:
    """What the link asked for that was ignored: unknown values (each cut to
    safe.NOTICE_CHARS, at most SHOWN_NOTICES of them) and parameters repeated past
    state.MAX_VALUES, each in one notice."""
    unknown = [n for n in notices if not n.dropped]
    if unknown:
        items = ", ".join(f"{n.key}={safe.clip(safe.plain(n.value))}" for n in unknown[:SHOWN_NOTICES])
        if len(unknown) > SHOWN_NOTICES:
            items += " " + _("(and {n} more)").format(n=i18n.fmt_int(len(unknown) - SHOWN_NOTICES))
        st.warning(
            safe.md_format(_("Some values in the link were not recognised and were ignored: {items}"), items=items),
            icon=":material/warning:",
        )
    for n in notices:
        if n.dropped:
            st.warning(
                safe.md_format(
                    _(
                        "The link repeats “{key}” too often: only its first {n} values were read, {dropped} were ignored."
                    ),
                    key=n.key,
                    n=i18n.fmt_int(state.MAX_VALUES),
                    dropped=i18n.fmt_int(n.dropped),
                ),
                icon=":material/warning:",
            )


def filters_text(ctx: Ctx) -> str:
    """The filters in words, in the reader's language: 'Security · 10 of 51 initiatives'."""
    return ctx.filters.describe(ctx.count, len(ctx.ds.frame), _, i18n.fmt_date, i18n.fmt_int)


def empty_state() -> None:
    """Why no row is in view: the filters, or a file none of whose rows is usable (with a link to its report)."""
    if len(current().ds.frame):
        st.info(
            _("No initiatives match these filters. Remove a filter or press “Reset filters” in the sidebar."),
            icon=":material/search_off:",
        )
        return
    st.warning(
        _("The file loaded, but none of its rows is usable. The validation report on the Data page says why."),
        icon=":material/report:",
    )
    st.page_link("pages/data.py", label=_("See the validation report"), icon=":material/dataset:")
