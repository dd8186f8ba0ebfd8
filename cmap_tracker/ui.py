"""Streamlit glue shared by every page: data loading, the sidebar, the URL,
charts with cross-filtering, and small display helpers.

Pages call ``ui.page()`` to get the current ``Ctx`` and only compose. This is
the only module in the package that imports Streamlit.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import re
from dataclasses import dataclass
from urllib.parse import urlencode
from datetime import date
from functools import lru_cache, partial
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import dataset as dataset_mod
from . import figures, i18n, loader, metrics, safe, snapshots, spreadsheet, state
from .briefing import briefing_html
from .dataset import Dataset
from .derived import per_object
from .filters import Filters
from .i18n import N_, _
from .state import View
from .vocab import PILLARS, STATUSES, THEMES, humanize

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data" / "initiatives.csv"
W = {"pillar": "w_pillar", "sector": "w_sector", "status": "w_status", "theme": "w_theme",
     "date_from": "w_from", "date_to": "w_to", "q": "w_q"}
LANG_KEY = "w_lang"
ID_KEY = "view_id"
TAB_KEY = "view_tab"  # the overview's open tab, as in the URL (state.TABS)
OVERVIEW_TABS = {"status": N_("By status"), "sector": N_("By sector")}  # URL value -> tab label


@dataclass(frozen=True, eq=False)
class Ctx:
    ds: Dataset
    view: View
    mask: np.ndarray | None  # which rows of ds.frame are in view (None: all of them)
    today: date
    uploaded: bool

    @property
    def filters(self) -> Filters:
        return self.view.filters

    @property
    def df(self) -> pd.DataFrame:
        """The rows in view, with the columns pages draw (``Dataset.view``). Taken on
        first use, so a page that does not chart them (What changed, Data) never pays.
        (Not functools.cached_property: on Python 3.11 it holds one lock for every
        instance, so sessions would wait for each other's rows.)"""
        rows = self.__dict__.get("_df")
        if rows is None:
            rows = self.__dict__["_df"] = self.filters.apply(self.ds, mask=self.mask)
        return rows

    @property
    def count(self) -> int:
        """How many rows are in view."""
        return len(self.ds.frame) if self.mask is None else int(np.count_nonzero(self.mask))

    def whole_rows(self) -> pd.DataFrame:
        """The rows in view with every column, for exports (built when a download is clicked)."""
        return self.filters.apply(self.ds, whole=True, mask=self.mask)


_ctx: contextvars.ContextVar[Ctx] = contextvars.ContextVar("ctx")


def data_source() -> str:
    """``DASHBOARD_DATA`` (a path or an http(s) URL), else the bundled CSV."""
    return os.environ.get("DASHBOARD_DATA", "").strip() or str(DEFAULT_DATA)


def _version(source: str) -> tuple:
    """Cache key part that changes when the data changes (mtime+size, or a
    10-minute bucket for URLs), so a replaced file is served on the next rerun."""
    if safe.http_url(source):
        return ("url", int(pd.Timestamp.now().timestamp() // 600))
    try:
        st_ = os.stat(source)
        return ("file", st_.st_mtime_ns, st_.st_size)
    except OSError:
        return ("missing",)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_shared(source: str, version: tuple) -> Dataset:
    # Shared, read-only, across sessions: cache_resource hands out the same
    # object (cache_data would copy the frame for every session and rerun).
    return dataset_mod.build(loader.load(source, limit=None))


def load_default() -> Dataset:
    source = data_source()
    return _load_shared(source, _version(source))


def _snapshot_version() -> tuple:
    try:
        return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(snapshots.SNAPSHOT_DIR.glob("*.csv")))
    except OSError:
        return ()


@st.cache_resource(max_entries=2, show_spinner=False)
def _snapshots_shared(version: tuple) -> tuple[snapshots.Snapshot, ...]:
    return tuple(snapshots.load_snapshots())


def all_snapshots() -> tuple[snapshots.Snapshot, ...]:
    """Every dated snapshot (shared across sessions; reloaded when a file changes)."""
    return _snapshots_shared(_snapshot_version())


def dataset() -> tuple[Dataset, bool]:
    up = st.session_state.get("upload")
    if up is not None:
        return up, True
    return load_default(), False


def set_upload(name: str, data: bytes) -> loader.LoadResult:
    """Parse an upload into this session only (never written to disk)."""
    result = loader.load(data, name=name)
    if result.ok:
        st.session_state["upload"] = dataset_mod.build(result)
    return result


def clear_upload() -> None:
    st.session_state.pop("upload", None)


# --------------------------------------------------------------------------- text


def public_source(source: str) -> str:
    """What a viewer may see of a data source: a file's name, never the server's
    directories; a URL without its query string (which may carry a token)."""
    text = str(source)
    if safe.http_url(text):
        return text.split("?", 1)[0].split("#", 1)[0]
    return Path(text).name or text


def public_text(issue: loader.Issue) -> str:
    """An issue's message with any file path shortened by public_source(), and every
    value from the file (a header, a cell) cut to safe.NOTICE_CHARS."""
    params = tuple((k, public_source(v) if k == "source" else safe.clip(safe.plain(v)) if isinstance(v, str) else v)
                   for k, v in issue.params)
    return dataclasses.replace(issue, params=params).text(_)


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """A table for st.table, which reads every cell and header as Markdown:
    text cells and headers escaped, so data is shown as text."""
    out = table.rename(columns=lambda c: safe.md(c))
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: safe.md(v) if isinstance(v, str) else v)
    return out


def localized(row: pd.Series, column: str) -> tuple[str, bool]:
    """Row text in the current language, with a flag when it fell back to English."""
    lang = i18n.language()
    if lang != "en":
        val = str(row.get(f"{column}_{lang}", "") or "").strip()
        if val:
            return val, False
        return str(row.get(column, "") or ""), True
    return str(row.get(column, "") or ""), False


label_pillar = figures.pillar_label
label_status = figures.status_label
label_theme = figures.theme_label


# ------------------------------------------------------------------ state and URL


def _seed_from_url(ds: Dataset, snapshot_dates: list[str]) -> None:
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    view, notices = state.from_query(params, ds, snapshot_dates)
    _put_filters(view.filters)
    st.session_state[ID_KEY] = view.id
    st.session_state["view_since"] = view.since
    st.session_state["view_until"] = view.until
    st.session_state[TAB_KEY] = view.tab
    if view.lang:
        st.session_state[LANG_KEY] = view.lang
    st.session_state["_notices"] = notices


def _put_filters(f: Filters) -> None:
    for field, key in W.items():
        v = getattr(f, field)
        st.session_state[key] = list(v) if isinstance(v, tuple) else v


def current_view() -> View:
    ss = st.session_state
    f = Filters(
        pillar=tuple(ss.get(W["pillar"]) or ()),
        sector=tuple(ss.get(W["sector"]) or ()),
        status=tuple(ss.get(W["status"]) or ()),
        theme=tuple(ss.get(W["theme"]) or ()),
        date_from=ss.get(W["date_from"]),
        date_to=ss.get(W["date_to"]),
        q=(ss.get(W["q"]) or "")[: state.MAX_Q],
    )
    lang = ss.get(LANG_KEY, "")
    # The overview's tab is kept while other pages are open, but only its link carries it.
    on_overview = _page_path.get() in (None, "", "overview")
    return View(f, ss.get(ID_KEY, "") or "", lang if lang != "en" or ss.get("_lang_chosen") else "",
                ss.get("view_since", ""), ss.get("view_until", ""), (ss.get(TAB_KEY, "") or "") if on_overview else "")


def write_url(view: View) -> None:
    """Make the address bar match the view: our keys only (Streamlit's own
    ``embed`` flags are left alone), and only when something differs."""
    want = view.to_query()
    qp = st.query_params
    for key in state.OWN_KEYS:
        have = qp.get_all(key)
        if want.get(key, []) != have:
            if key in want:
                qp[key] = want[key]
            elif key in qp:
                del qp[key]


def reset_filters() -> None:
    _put_filters(Filters())
    st.session_state[ID_KEY] = ""
    st.session_state["_notices"] = []


def cross_filter(chart_key: str) -> None:
    """on_select callback: narrow the filters to what was clicked (by customdata id).
    A click sends back values as the chart shows them (escaped by ``safe.plotly``);
    each is matched against what that filter offers, so no other value gets in."""
    sel = st.session_state.get(chart_key)
    points = (sel or {}).get("selection", {}).get("points", []) if sel else []
    picked: dict[str, list[str]] = {}
    ds = dataset()[0]
    for p in points:
        cd = p.get("customdata") or []
        for kind, value in zip(cd[0::2], cd[1::2]):
            if kind not in CLICKABLE:
                break
            raw = _click_values(ds, kind).get(value) if isinstance(value, str) else None
            if raw is not None and raw not in picked.setdefault(kind, []):
                picked[kind].append(raw)
    for kind, values in picked.items():
        if not values:
            continue
        if kind == "id":
            st.session_state[ID_KEY] = values[0]
        else:
            st.session_state[W[kind]] = values


CLICKABLE = ("pillar", "sector", "status", "theme", "id")


def _click_values(ds: Dataset, kind: str) -> dict[str, str]:
    """What a chart sends for each value of ``kind`` (``safe.plotly`` of it) -> the value."""
    def options() -> dict[str, str]:
        values = {"pillar": PILLARS.slugs, "status": STATUSES.slugs, "sector": ds.sectors,
                  "theme": [*ds.theme_slugs, *THEMES.slugs], "id": ds.frame["id"].tolist()}[kind]
        return {safe.plotly(v): v for v in values}
    return per_object(ds.frame, ("clicks", kind), options)


# ----------------------------------------------------------------------- sidebar


def _sidebar(ds: Dataset) -> None:
    sb = st.sidebar
    keep = {"persist_state": "session"}  # survive page switches
    sb.selectbox(_("Language"), list(i18n.LANGUAGES), key=LANG_KEY, **keep,
                 format_func=lambda c: i18n.LANGUAGES[c], on_change=lambda: st.session_state.update(_lang_chosen=True))
    sb.header(_("Filters"))
    sb.multiselect(_("Pillar"), PILLARS.slugs, key=W["pillar"], **keep, format_func=label_pillar,
                   placeholder=_("All pillars"))
    sb.multiselect(_("Sector"), ds.sectors, key=W["sector"], **keep, format_func=figures.sector_label,
                   placeholder=_("All sectors"))
    sb.multiselect(_("Status"), STATUSES.slugs, key=W["status"], **keep, format_func=label_status,
                   placeholder=_("All statuses"))
    themes = list(dict.fromkeys([*ds.theme_slugs, *st.session_state.get(W["theme"], [])]))
    sb.multiselect(_("Theme"), themes, key=W["theme"], **keep, format_func=label_theme, placeholder=_("All themes"))
    c1, c2 = sb.columns(2)
    c1.date_input(_("From"), key=W["date_from"], **keep, format="YYYY-MM-DD")
    c2.date_input(_("To"), key=W["date_to"], **keep, format="YYYY-MM-DD")
    sb.text_input(_("Search"), key=W["q"], **keep, placeholder=_("id, title or description"), max_chars=state.MAX_Q)
    sb.button(_("Reset filters"), on_click=reset_filters, width="stretch")
    link = share_link(current_view())
    if link:  # in a popover: its content (and the code block's script) loads only when opened
        with sb.popover(_("Share this view"), icon=":material/link:", width="stretch"):
            st.caption(_("Link to this view (use the copy icon):"))
            st.code(link, language=None, wrap_lines=True)


def share_link(view: View) -> str | None:
    """Absolute URL of this page with every filter, for pasting into an email."""
    base = getattr(st.context, "url", None)
    if not base:
        return None
    query = urlencode(view.to_query(), doseq=True)
    return f"{base}?{query}" if query else base


# -------------------------------------------------------------------- the run


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
    st.set_page_config(page_title=_("Canada–Mexico Action Plan Tracker"), page_icon=":material/handshake:",
                       layout="wide")

    try:
        ds, uploaded = dataset()
    except Exception as exc:  # noqa: BLE001 - never a traceback on screen
        st.error(safe.md_format(_("The data could not be loaded: {error}"), error=safe.clip(str(exc))))
        return None
    if not ds.result.ok:
        st.error(_("The data file could not be used."))
        st.markdown(safe.md(public_text(ds.result.fatal)))
        st.caption(safe.md_format(_("Source: {source}. The dashboard will use the file as soon as it is fixed; reload the page."),
                                  source=public_source(ds.result.source)))
        return None

    if not ss.get("_seeded"):
        _seed_from_url(ds, [s.date for s in all_snapshots()])
        ss["_seeded"] = True
    # The widgets' values are in session state before the widgets are drawn
    # (seeded from the URL, or sent by the browser with this run), so the
    # sidebar is drawn by finish(), after the page: the browser gets the
    # page's content, and its first chart, first.
    view = current_view()
    f = view.filters
    ctx = Ctx(ds, view, None if f.is_empty() else f.mask(ds), date.today(), uploaded)
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
            _sidebar(ctx.ds)
    write_url(current_view())


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
    finish(_ctx.get())
    st.stop()


PAGES = (  # (script, title message id, icon, url path = file name)
    ("pages/overview.py", "Overview", ":material/home:", "overview"),
    ("pages/status.py", "Status", ":material/bar_chart:", "status"),
    ("pages/timeline.py", "Timeline", ":material/timeline:", "timeline"),
    ("pages/themes.py", "Themes", ":material/category:", "themes"),
    ("pages/explorer.py", "Explorer", ":material/table_view:", "explorer"),
    ("pages/changes.py", "What changed", ":material/change_history:", "changes"),
    ("pages/data.py", "Data", ":material/dataset:", "data"),
)


def embedded() -> bool:
    """True under Streamlit's ``?embed=true``: no sidebar, no page menu, filters from the link."""
    return bool(getattr(st.context, "is_embedded", False))


_page_path: contextvars.ContextVar[str | None] = contextvars.ContextVar("page_path", default=None)


def run() -> None:
    """The whole app, once: what dashboard.py runs."""
    ctx = start()
    if ctx is not None:
        page = navigation()
        _page_path.set(page.url_path)  # "" is the overview, the default page
        page.run()
        finish(ctx)


def navigation():
    return st.navigation(position="hidden" if embedded() else "sidebar", pages=[
        st.Page(str(ROOT / script), title=_(title), icon=icon, default=i == 0)
        for i, (script, title, icon, path) in enumerate(PAGES)
    ])


def page(title: str, caption: str | None = None, *, needs_rows: bool = False) -> Ctx:
    """Every page starts here: its heading, the filters in words, any notices.
    With ``needs_rows``, an empty view shows the empty state and stops the page."""
    try:
        ctx = _ctx.get()
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
    if ctx.uploaded:
        st.info(safe.md_format(_("You are exploring your uploaded file “{name}”. It stays in this browser session only."),
                               name=safe.clip(ctx.ds.result.source)), icon=":material/upload_file:")
    st.markdown(f"**{safe.md(filters_text(ctx))}**")
    if needs_rows and not ctx.count:
        empty_state()
        stop()
    return ctx


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
        st.warning(safe.md_format(_("Some values in the link were not recognised and were ignored: {items}"),
                                  items=items), icon=":material/warning:")
    for n in notices:
        if n.dropped:
            st.warning(safe.md_format(_("The link repeats “{key}” too often: only its first {n} values were read, {dropped} were ignored."),
                                      key=n.key, n=i18n.fmt_int(state.MAX_VALUES), dropped=i18n.fmt_int(n.dropped)),
                       icon=":material/warning:")


def filters_text(ctx: Ctx) -> str:
    """The filters in words, in the reader's language: 'Security · 10 of 51 initiatives'."""
    return ctx.filters.describe(ctx.count, len(ctx.ds.frame), _, i18n.fmt_date, i18n.fmt_int)


def empty_state() -> None:
    st.info(_("No initiatives match these filters. Remove a filter or press “Reset filters” in the sidebar."),
            icon=":material/search_off:")


def chart(fig: go.Figure, key: str, *, alt: str, table: pd.DataFrame | None = None,
          selectable: bool = True) -> None:
    """A Plotly chart with alt text, a PNG download name, click-to-filter and a table alternative."""
    config = {"displaylogo": False,
              "toImageButtonOptions": {"format": "png", "filename": f"cmap-{key}", "scale": 2},
              "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    if selectable:
        st.plotly_chart(fig, key=key, on_select=partial(cross_filter, key), selection_mode="points",
                        alt=alt, config=config, width="stretch")
    else:
        st.plotly_chart(fig, key=key, alt=alt, config=config, width="stretch")
    if table is not None:  # a plain HTML table, read by screen readers
        box = opened(_("Show as table"), f"{key}__table")
        if box:
            box.table(as_text(labelled(table)), hide_index=True)


def overview_tabs() -> dict:
    """The overview's tabs by URL value ({"status": tab, "sector": tab}); only the open
    one has content drawn. The open tab is part of the view (``?tab=sector``): a
    link opens it, and it survives a change of language (labels are translated)."""
    ss = st.session_state
    labels = {value: _(label) for value, label in OVERVIEW_TABS.items()}
    if ss.get("overview_tab") not in labels.values():  # first draw, from a link, or in a new language
        ss["overview_tab"] = labels.get(ss.get(TAB_KEY) or state.TABS[0], labels[state.TABS[0]])
    tabs = st.tabs([safe.md(label) for label in labels.values()], key="overview_tab", on_change="rerun")
    open_tab = next(v for v, label in labels.items() if label == ss["overview_tab"])
    ss[TAB_KEY] = "" if open_tab == state.TABS[0] else open_tab
    return dict(zip(labels, tabs))


def opened(label: str, key: str):
    """An expander whose content is built only while it is open (opening it reruns
    the page); returns it when open, else None. For content a reader asks for."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def detail(ctx: Ctx, ident: str | None = None) -> None:
    """The detail card of one initiative (everything shown as text); by default
    the one selected by a click, a table row or ``?id=``."""
    ident = ident or st.session_state.get(ID_KEY)
    if not ident:
        return
    rows = ctx.ds.frame[ctx.ds.frame["id"] == ident]
    if rows.empty:
        return
    row = rows.iloc[0]
    title, fell_back = localized(row, "title")
    desc, desc_fb = localized(row, "description")
    with st.container(border=True):
        st.header(safe.md(f"{ident} · {title}"), anchor=False)
        if fell_back or desc_fb:
            st.caption(_("Not yet translated; shown in the original language."))
        if desc:
            st.text(safe.plain(desc))
        c1, c2, c3 = st.columns(3)
        c1.markdown(f"**{_('Pillar')}**  \n{safe.md(label_pillar(row['pillar']))}")
        c1.markdown(f"**{_('Sector')}**  \n{safe.md(figures.sector_label(row['sector']))}")
        c2.markdown(f"**{_('Status')}**  \n{safe.md(label_status(row['status']))}")
        start = i18n.fmt_date(row["start_date"].date())
        end = i18n.fmt_date(row["end_date"].date()) if pd.notna(row["end_date"]) else _("open-ended")
        c2.markdown(f"**{_('Dates')}**  \n{safe.md(start)} – {safe.md(end)}")
        c3.markdown(f"**{_('Lead (Canada)')}**  \n{safe.md(row.get('lead_canada') or '—')}")
        c3.markdown(f"**{_('Lead (Mexico)')}**  \n{safe.md(row.get('lead_mexico') or '—')}")
        conf = row.get("confidence") or ""
        lu = row.get("last_updated")
        st.markdown(f"**{_('Confidence')}**: {safe.md(_(conf.capitalize()) if conf else '—')} · "
                    f"**{_('Last updated')}**: {safe.md(i18n.fmt_date(lu.date()) if pd.notna(lu) else '—')}")
        url = safe.http_url(row["source_url"])
        if url:
            st.link_button(_("Open the source"), url)
        if row.get("source_note"):
            st.caption(safe.md(row["source_note"]))


def _labels_for(values, fn):
    """The labels of ``values``: a CategoricalDtype when they are distinct, else an
    object array (with "" for missing at the end)."""
    labels = [fn(v) for v in values]
    if len(set(labels)) == len(labels):
        return pd.CategoricalDtype(labels)
    return np.array(labels + [""], dtype=object)


def _compact(series: pd.Series, keep: np.ndarray | None = None) -> pd.Series:
    """A categorical column with only the categories its rows use: a table's Arrow
    data carries every category, so a 20-row view of a large file stays small.
    ``keep`` (one bool per category) also drops categories, as missing values.
    (Counting codes with bincount: ``remove_unused_categories`` sorts them.)"""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    codes, cats = series.cat.codes.to_numpy(), series.cat.categories
    used = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0
    if keep is not None:
        used &= keep
    if used.all():
        return series
    new = np.full(len(cats) + 1, -1, dtype=codes.dtype)  # new[-1]: a missing value stays missing
    new[np.flatnonzero(used)] = np.arange(int(used.sum()), dtype=codes.dtype)
    dtype = pd.CategoricalDtype(cats[used], ordered=series.cat.ordered)
    return pd.Series(pd.Categorical.from_codes(new[codes], dtype=dtype, validate=False),
                     index=series.index, name=series.name)


def _by_value(series: pd.Series, fn) -> pd.Series:
    """Map a column through ``fn`` once per distinct value, as a categorical
    (integer codes: no string is built per row, so it stays fast at 1M rows).
    For a categorical column the labels of its categories are kept per language
    while the categories live: every subset of the shared frame has the same ones."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, cats = series.cat.codes.to_numpy(), series.cat.categories
        labels = per_object(cats, ("labels", fn, i18n.language()), lambda: _labels_for(cats, fn))
    else:
        codes, values = pd.factorize(series)
        labels = _labels_for(values, fn)
    if isinstance(labels, pd.CategoricalDtype):
        return _compact(pd.Series(pd.Categorical.from_codes(codes, dtype=labels), index=series.index))
    return pd.Series(labels[codes], index=series.index, dtype=object)


def _themes_label(themes: str) -> str:
    return _themes_text(themes, i18n.language())


@lru_cache(maxsize=1 << 16)
def _themes_text(themes: str, lang: str) -> str:
    """'ip;energy' -> 'IP and innovation, Energy' in ``lang`` (the current language:
    it is part of the key so each language is cached apart)."""
    return ", ".join(label_theme(x) for x in themes.split(";") if x)


def _links(urls: pd.Series) -> pd.Series:
    """Source URLs for a link column: http(s) only, anything else left empty."""
    if isinstance(urls.dtype, pd.CategoricalDtype):  # checked once per distinct URL
        return _compact(urls, keep=np.asarray(urls.cat.categories.str.match(safe.HTTP_URL), dtype=bool))
    return urls.where(urls.str.match(safe.HTTP_URL).fillna(False).astype(bool), None)


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Rows as people read them: labels, not slugs; titles in the current language."""
    return pd.DataFrame({
        "id": df["id"],
        _("Title"): figures.local_titles(df),
        _("Pillar"): _by_value(df["pillar"], label_pillar),
        _("Sector"): _by_value(df["sector"], figures.sector_label),
        _("Status"): _by_value(df["status"], label_status),
        _("Start"): df["start_date"],  # shown as dates by the DateColumn config
        _("End"): df["end_date"],
        _("Themes"): _by_value(df["themes"], _themes_label),
        _("Lead (Canada)"): _compact(df["lead_canada"]),
        _("Lead (Mexico)"): _compact(df["lead_mexico"]),
        _("Source"): _links(df["source_url"]),
    }).reset_index(drop=True)  # a RangeIndex is not sent: the rows' positions in the file would be


def _on_row_select(key: str, ids: list[str]) -> None:
    rows = st.session_state[key].get("selection", {}).get("rows", [])
    st.session_state[ID_KEY] = ids[rows[0]] if rows else ""


def _open_by_id(df: pd.DataFrame, box: str) -> None:
    """A box to open one of ``df``'s rows in the detail card by its id. A typed id opens
    once, as soon as it is among the rows in view (now, or after the filters change);
    until then the box says it is not in view."""
    ss = st.session_state
    typed = (st.text_input(_("Open an initiative by its id"), key=box, placeholder=str(df["id"].iloc[0]),
                           on_change=lambda: ss.__setitem__(f"{box}__new", True)) or "").strip()
    if not typed:
        return
    if not (df["id"] == typed).any():
        st.caption(safe.md_format(_("No initiative in view has the id “{id}”."), id=safe.clip(typed)))
    elif ss.pop(f"{box}__new", False):
        ss[ID_KEY] = typed


LAZY_ROWS = 5_000  # above this, tables stream rows on demand (no row selection then)


def initiative_table(df: pd.DataFrame, *, key: str, select: bool = False, on_demand: bool = False) -> None:
    """The rows as a table. With ``on_demand``, a list of more than LAZY_ROWS rows
    (a page's secondary list, below its charts) is built only when opened, not
    again on every filter change; the Explorer, whose table is the page, always
    shows it."""
    if on_demand and len(df) > LAZY_ROWS:
        box = opened(safe.md_format(_("Show the {n} initiatives"), n=i18n.fmt_int(len(df))), f"{key}__rows")
        if box:
            with box:
                initiative_table(df, key=key, select=select)
        return
    view = display_frame(df)
    config = {
        _("Source"): st.column_config.LinkColumn(_("Source"), display_text=_("Open")),
        _("Start"): st.column_config.DateColumn(_("Start")),
        _("End"): st.column_config.DateColumn(_("End")),
        _("Title"): st.column_config.TextColumn(_("Title"), width="large"),
    }
    lazy = len(view) > LAZY_ROWS
    kw = {}
    if select and not lazy:
        kw = {"on_select": partial(_on_row_select, key, df["id"].tolist()), "selection_mode": "single-row"}
    elif select:  # Streamlit cannot select rows of a table that streams them: open one by its id
        st.caption(safe.md_format(_("{n} rows: the table loads them as you scroll. To see one in detail, type its id below, or narrow the filters and select its row."),
                                  n=i18n.fmt_int(len(view))))
        _open_by_id(df, f"{key}__open")
    st.dataframe(view, key=key, hide_index=True, width="stretch", column_config=config,
                 height=min(38 + 35 * len(view), 560), lazy=lazy, placeholder="—",
                 alt=_("Table of {n} initiatives").format(n=i18n.fmt_int(len(view))), **kw)


def dictionary_frame() -> pd.DataFrame:
    from .contract import COLUMNS

    return pd.DataFrame({
        _("Column"): [c.name for c in COLUMNS],
        _("Required"): [_("yes") if c.required else _("no") for c in COLUMNS],
        _("Format"): [c.kind for c in COLUMNS],
        _("Meaning"): [_(c.description) for c in COLUMNS],
    })


def status_frame() -> pd.DataFrame:
    return pd.DataFrame({
        _("Status"): [label_status(t.slug) for t in STATUSES.terms],
        _("Slug"): [t.slug for t in STATUSES.terms],
        _("Meaning"): [_(t.definition) for t in STATUSES.terms],
        _("Evidence needed"): [_(t.evidence) for t in STATUSES.terms],
    })


def titled_table(title: str, table: pd.DataFrame, caption: str | None = None) -> None:
    st.header(title, anchor=False)
    if caption:
        st.caption(caption)
    if table.empty:
        st.caption(_("None."))
    else:
        st.dataframe(labelled(table), hide_index=True, width="stretch")


def titles_in_language(table: pd.DataFrame, *frames: pd.DataFrame) -> pd.DataFrame:
    """``table`` (with ``id`` and ``title``) with titles in the current language, looked up
    by id in ``frames`` (newest first), where the CSV has them; otherwise unchanged."""
    if i18n.language() == "en" or table.empty or "title" not in table:
        return table
    names: dict = {}
    for frame in reversed(frames):  # the newest frame has the last word
        names.update(zip(frame["id"], figures.local_titles(frame)))
    return table.assign(title=table["id"].map(names).fillna(table["title"]))


def snapshot_keep(ctx: Ctx):
    """The sidebar filters as a row filter for snapshots (None when nothing filters)."""
    return None if ctx.filters.is_empty() else snapshots.keep_from_filters(ctx.filters)


def since_last_update(ctx: Ctx) -> str | None:
    """'Since 1 Jun 2026: +1 completed, 0 delayed, 1 added' for the two newest snapshots."""
    snaps = [s for s in all_snapshots() if s.result.ok]
    if len(snaps) < 2 or ctx.uploaded:
        return None
    d = snapshots.diff(snaps[-2], snaps[-1], keep=snapshot_keep(ctx))
    n = snapshots.diff_summary(d)
    return _("Since {date}: +{completed} completed, {delayed} delayed, {added} added, {slipped} with a later end date.").format(
        date=i18n.fmt_date(date.fromisoformat(snaps[-2].date)), **{k: i18n.fmt_int(v) for k, v in n.items()})


def deferred(fn):
    """A download callable that runs later, on another thread, in this run's
    context (language and view), so it is only computed when clicked."""
    frozen = contextvars.copy_context()
    return lambda: frozen.run(fn)


def briefing(ctx: Ctx) -> str:
    k = metrics.kpis(ctx.df, ctx.today)
    kpis = [(_("Initiatives in view"), i18n.fmt_int(k.total)), (_("Completed"), i18n.fmt_pct(k.completed_share)),
            (_("Due in 90 days"), i18n.fmt_int(k.due_soon)), (_("Overdue"), i18n.fmt_int(k.overdue))]
    figs = [figures.status_by_pillar(ctx.df), figures.timeline(ctx.df, ctx.today)] if len(ctx.df) else []
    return briefing_html(
        title=_("Canada–Mexico Action Plan 2025–2028"),
        filters_text=filters_text(ctx),
        kpis=kpis, figures=figs, table=ctx.df, as_of=i18n.fmt_date(ctx.ds.as_of),
        link=share_link(ctx.view) or "", lang=i18n.language(), generated=i18n.fmt_date(ctx.today),
        source_note=_("Sources: each initiative links to its public source. Compiled by the Canada–Mexico Action Plan Tracker."))


def downloads(ctx: Ctx) -> None:
    """CSV, Excel and briefing downloads of the rows in view, built only when clicked."""
    c1, c2, c3 = st.columns(3)
    c1.download_button(_("Download CSV"), deferred(lambda: spreadsheet.to_csv_bytes(ctx.whole_rows())),
                       file_name=spreadsheet.filename("cmap-initiatives", "csv", ctx.today), mime="text/csv",
                       on_click="ignore", icon=":material/download:", width="stretch")
    c2.download_button(_("Download Excel"), deferred(lambda: spreadsheet.to_xlsx_bytes(ctx.whole_rows(), sheet_name=_("Initiatives"))),
                       file_name=spreadsheet.filename("cmap-initiatives", "xlsx", ctx.today),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/table:", width="stretch")
    c3.download_button(_("Download briefing (HTML)"), deferred(lambda: briefing(ctx)),
                       file_name=spreadsheet.filename("cmap-briefing", "html", ctx.today), mime="text/html",
                       on_click="ignore", icon=":material/description:", width="stretch",
                       help=_("One file with the filters, key figures, charts and sources. Opens offline."))


COLUMN_LABELS = {  # raw table column -> message id (see labelled())
    "pillar": N_("Pillar"), "status": N_("Status"), "count": N_("Initiatives"), "sector": N_("Sector"),
    "theme": N_("Theme"), "total": N_("Total"), "completed": N_("Completed"), "share": N_("Share completed"),
    "title": N_("Title"), "before": N_("Before"), "after": N_("After"), "field": N_("Field"),
    "date": N_("Date"), "line": N_("Line"), "reason": N_("Reason"), "column": N_("Column"),
    "value": N_("Value"), "outcome": N_("Outcome"), "days": N_("Days later"),
    "before_end": N_("End date before"), "after_end": N_("End date after"),
    "start_date": N_("Start"), "end_date": N_("End"),
}
OUTCOMES = {"rejected": N_("Rejected"), "corrected": N_("Corrected"), "file": N_("File")}


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it: translated headers, labels instead of slugs.
    Every 'Show as table' and report table goes through here."""
    out = table.copy()
    for col, fn in (("pillar", label_pillar), ("status", label_status), ("theme", label_theme),
                    ("sector", figures.sector_label),
                    ("before", label_status), ("after", label_status)):
        if col in out and (col not in ("before", "after") or "field" not in out):
            out[col] = out[col].astype(str).map(fn)
    if "field" in out and {"before", "after"} <= set(out.columns):  # a diff: label values by their field
        by_field = {"status": label_status, "pillar": label_pillar, "sector": figures.sector_label}

        @lru_cache(maxsize=None)  # each distinct (field, value) is labelled once
        def value_label(field: str, value: str) -> str:
            fn = by_field.get(field)
            return value if fn is None else (fn(value) if value else "")

        fields = out["field"].to_numpy(dtype=object)
        for col in ("before", "after"):
            out[col] = [value_label(f, v) for f, v in zip(fields, out[col].to_numpy(dtype=object))]
    if "outcome" in out:
        out["outcome"] = out["outcome"].map(lambda v: _(OUTCOMES.get(v, v)))
    if "field" in out:
        out["field"] = out["field"].map(lambda v: _(COLUMN_LABELS.get(v, v.replace("_", " ").capitalize())))
    if "share" in out:
        out["share"] = out["share"].map(i18n.fmt_pct)
    return out.rename(columns={c: _(m) for c, m in COLUMN_LABELS.items()})
