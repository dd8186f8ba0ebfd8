"""Text from outside (a link's values, a data file's cells and header, an upload's
file name) is shown to readers as text: never as Markdown (an image that fetches
from another server, a link, bold), never as Plotly markup, never with controls
that reorder what they read, and never as 30 KB of someone else's text.

Streamlit renders every st.markdown / caption / alert / heading / label as
Markdown (GitHub flavour, which also turns bare URLs into links), and Plotly reads
<b>, <a href> and &entities; in chart text. The AppTest checks read the Markdown
source of every element and ask what a Markdown reader makes of it
(``markup_in``); the browser checks ask Chromium what it fetched and drew.
"""

from __future__ import annotations

import html
import json
import re
import string
import unicodedata
from urllib.parse import urlparse

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as et

from conftest import Server, csv_bytes, run, shot

PAGES = ["overview", "status", "timeline", "themes", "explorer", "changes", "data"]
HOST = "127.0.0.1:8765"  # where the payloads point: nothing listens there, a browser still tries
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
LONG = "Z" * 30_000
NOTICE_CAP = 80  # characters of one value the "not recognised" notice may echo
SCREEN_CAP = 200  # characters of a 30 KB value any element may show (the search box keeps 200)
PAYLOADS = [
    f"![p](http://{HOST}/x)",
    f"[t](http://{HOST}/y)",
    "**URGENT**",
    "<b>x</b>",
    f"http://{HOST}/z",
    LONG,
    "\u202egnp.exe",
]
SHORT_PAYLOADS = [p for p in PAYLOADS if p is not LONG]
MULTI = ("pillar", "sector", "status", "theme")  # repeatable: every payload at once
SINGLE = ("from", "to", "q", "id", "lang", "since", "until", "tab")  # one value is read


# ------------------------------------------------ what a Markdown reader makes of a source


_PUNCT = set(string.punctuation)  # CommonMark: a backslash escapes any ASCII punctuation
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>")
_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<\?.*?\?>|<![A-Z][^>]*>", re.S)
# GitHub's literal autolinks, as remark-gfm finds them in the text of a paragraph
# (after backslash escapes and entities are resolved, so "http\://" is still a link)
_BARE_URL = re.compile(r"(https?://|www(?=\.))([-.A-Za-z0-9_]+)([^ \t\r\n]*)", re.I)


def _read(source: str):
    """Split Markdown source into text runs of (character, active) pairs, with
    code spans, autolinks and raw HTML apart. A character is inactive when it was
    backslash-escaped or written as an entity: then it is shown, not interpreted."""
    runs: list[list[tuple[str, bool]]] = [[]]
    spans: list[tuple[str, str]] = []  # (kind, text): code spans, autolinks, raw html
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in _PUNCT:
            runs[-1].append((source[i + 1], False))
            i += 2
            continue
        if c == "`":
            k = len(source[i:]) - len(source[i:].lstrip("`"))
            close = re.compile(r"(?<!`)" + "`" * k + r"(?!`)").search(source, i + k)
            if close:
                spans.append(("code", source[i + k : close.start()]))
                runs.append([])
                i = close.end()
            else:
                runs[-1].extend(("`", True) for _ in range(k))
                i += k
            continue
        if c == "&" and (m := _ENTITY.match(source, i)) and html.unescape(m.group()) != m.group():
            runs[-1].extend((ch, False) for ch in html.unescape(m.group()))
            i = m.end()
            continue
        if c == "<":
            for kind, pattern in (("autolink", _AUTOLINK), ("html", _HTML)):
                if m := pattern.match(source, i):
                    spans.append((kind, m.group()))
                    runs.append([])
                    i = m.end()
                    break
            else:
                runs[-1].append((c, True))
                i += 1
            continue
        runs[-1].append((c, True))
        i += 1
    return runs, spans


def visible_text(source: str) -> str:
    """What a reader sees of a Markdown source, markup aside (format characters such as
    a zero-width space dropped, so a fix may use them to break a bare URL)."""
    runs, spans = _read(source)
    text = "".join(ch for run in runs for ch, _a in run) + "".join(t for _k, t in spans)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch in BIDI)


def _domain_ok(domain: str) -> bool:
    parts = domain.split(".")
    return len(parts) >= 2 and all(p and "_" not in p and re.search(r"[A-Za-z0-9]", p) for p in parts[-2:])


def markup_in(source: str) -> list[str]:
    """Markup a Markdown reader would make from the payloads in ``source``: images or
    links to the payload host (inline, reference, autolink or a bare URL), raw HTML,
    and emphasis around the word URGENT. The app's own markup (its bold summary, its
    source links) is not reported."""
    found: list[str] = []
    runs, spans = _read(source)
    for kind, text in spans:
        if kind == "autolink" and "8765" in text:
            found.append(f"autolink {text}")
        elif kind == "html":
            found.append(f"raw HTML {text}")
    for piece in runs:
        text = "".join(ch for ch, _a in piece)
        active = [a for _c, a in piece]
        masked = "".join(ch if a else "\0" for ch, a in piece)
        for m in re.finditer(r"(!?)\[[^\]]*\]\(\s*<?([^)\s>]*)", masked):  # [text](dest), ![alt](src)
            dest = text[m.start(2) : m.end(2)]
            if "8765" in dest:
                found.append(f"{'image' if m.group(1) else 'link'} to {dest}")
        for m in re.finditer(r"(?m)^ {0,3}\[[^\]\n]+\]:[ \t]*(\S+)", masked):  # [label]: dest
            if "8765" in text[m.start(1) : m.end(1)]:
                found.append(f"link definition {text[m.start() : m.end()]}")
        for m in re.finditer("URGENT", text):
            around = [j for j in (m.start() - 1, m.end()) if 0 <= j < len(text)]
            if any(active[j] and text[j] in "*_~" for j in around):
                found.append("emphasis around URGENT")
        for m in _BARE_URL.finditer(text):
            before = text[m.start() - 1] if m.start() else " "
            if not (before.isspace() or unicodedata.category(before)[0] in "PS"):
                continue
            if _domain_ok(m.group(2)) and "8765" in m.group():
                found.append(f"bare URL made a link: {m.group()}")
    return found


def _longest(text: str, ch: str) -> int:
    return max((len(m.group()) for m in re.finditer(re.escape(ch) + "+", text)), default=0)


def problems(source: str, *, markdown: bool = True) -> list[str]:
    """Everything wrong with one element's text: markup from a payload, a bidi
    control, more than SCREEN_CAP characters of the 30 KB value."""
    shown = visible_text(source) if markdown else source
    out = markup_in(source) if markdown else []
    out += [f"bidi control U+{ord(c):04X}" for c in sorted(set(shown) & set(BIDI))]
    if _longest(shown, LONG[0]) > SCREEN_CAP:
        out.append(f"{_longest(shown, LONG[0])} characters of a 30 KB value")
    return out


def test_the_markdown_model_finds_what_streamlit_renders_and_passes_text():
    """The helper itself: each payload raw is markup; fully neutralised it is text.
    (A backslash does not stop GitHub's bare-URL links: seen in Chromium, where the
    escaped source of the detail card's leads still showed links to the payload host.)"""
    assert markup_in(f"![p](http://{HOST}/x)") and markup_in(f"[t](http://{HOST}/y)")
    assert markup_in("a **URGENT** b") and markup_in("<b>x</b>") and markup_in(f"see http://{HOST}/z")
    assert markup_in(f"<http://{HOST}/a>") and markup_in(f"x\n[r]: http://{HOST}/r\n[r]")
    assert markup_in(r"“http\://127\.0\.0\.1\:8765/q”")  # backslashes alone: still a link
    assert markup_in("&#42;&#42;URGENT&#42;&#42;") == []  # entities are shown, not read
    assert markup_in(r"\*\*URGENT\*\* \<b\>x\</b\> !\[p\]\(x\)") == []
    assert markup_in("`![p](http://127.0.0.1:8765/x) http://127.0.0.1:8765/z`") == []  # a code span
    assert markup_in("http\u200b://127.0.0.1:8765/z") == []  # broken by a zero-width space
    assert markup_in("**51 of 51 initiatives**  \n[Source](https://example.org)") == []  # the app's own
    assert visible_text(r"\*\*URGENT\*\* &lt;b&gt;") == "**URGENT** <b>"
    assert problems("a\u202eb") and problems("Z" * 201) and not problems("Z" * 200)


# ---------------------------------------------------------------------------- AppTest


def on_screen(at: AppTest):
    """(what, text, is Markdown) for every element of the page and the sidebar."""
    for root in (at.main, at.sidebar):
        for e in root:
            if isinstance(e, (et.Markdown, et.HeadingBase, et.AlertBase, et.Toast)):
                yield type(e).__name__, str(e.value), True
            elif isinstance(e, (et.Text, et.Code)):
                yield type(e).__name__, str(e.value), False
            if isinstance(getattr(e, "label", None), str):  # widget, metric, tab and expander labels
                yield f"{type(e).__name__} label", e.label, True
            if isinstance(e, et.Exception):
                yield "Exception", str(e.value), True
            if isinstance(e, et.Table):  # st.table reads its headers and cells as Markdown
                table = e.value
                for cell in [*map(str, table.columns), *(str(v) for v in table.to_numpy().ravel())]:
                    yield "Table cell", cell, True


def screen_problems(at: AppTest) -> list[str]:
    return [f"{what}: {p} in {text[:160]!r}" for what, text, md in on_screen(at) for p in problems(text, markdown=md)]


def notice(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "initiatives**" in m.value)


@pytest.mark.parametrize("page", PAGES)
def test_every_link_value_is_shown_as_text_on_every_page(page):
    """Every query parameter holds a payload: the repeatable ones all of them, the
    others one each, rotated by page so that each pairing is seen on some page."""
    shift = PAGES.index(page)
    query = {k: list(PAYLOADS) for k in MULTI}
    query |= {k: PAYLOADS[(i + shift) % len(PAYLOADS)] for i, k in enumerate(SINGLE)}
    at = run(page, **query)
    assert not at.exception, at.exception
    assert at.warning, "the notice of unrecognised values is missing"
    assert screen_problems(at) == []


@pytest.mark.parametrize("param", MULTI + SINGLE)
def test_each_link_parameter_shows_its_value_as_text(param):
    value = list(PAYLOADS) if param in MULTI else " ".join(SHORT_PAYLOADS)
    at = run("overview", **{param: value})
    assert not at.exception, at.exception
    assert screen_problems(at) == []


def test_the_notice_shows_the_link_s_values_literally():
    """Break 1 as reported: an image from the link author's server, a link called
    "Official correction" and a bold URGENT, in a notice under the page title."""
    at = run(
        "overview",
        pillar=f"![p](http://{HOST}/notice-img)",
        sector=f"[Official correction](http://{HOST}/phish)",
        status="**URGENT**",
    )
    assert not at.exception
    assert [markup_in(w.value) for w in at.warning] == [[]]
    seen = visible_text(notice(at))
    assert f"pillar=![p](http://{HOST}/notice-img)" in seen
    assert f"sector=[Official correction](http://{HOST}/phish)" in seen
    assert "status=**URGENT**" in seen


def test_the_notice_cuts_a_long_value_to_80_characters():
    at = run("overview", id=LONG, pillar=["security"])
    assert not at.exception
    seen = visible_text(notice(at))
    assert "id=Z" in seen
    assert _longest(seen, "Z") <= NOTICE_CAP, f"{_longest(seen, 'Z')} characters of the id echoed"
    assert re.search(r"id=Z{1,80}…", seen), seen[:200]
    assert summary(at).startswith("**Security · ")  # the valid value is kept


def test_bidi_controls_from_a_link_never_reach_the_screen():
    """'gnp.exe' behind a right-to-left override (U+202E) reads 'exe.png'."""
    at = run("overview", q="\u202egnp.exe", pillar=f"{BIDI}x", id="\u2067evil\u2069")
    assert not at.exception
    shown = [(what, text) for what, text, _md in on_screen(at) if set(text) & set(BIDI)]
    assert shown == []


def test_many_repeated_values_give_one_notice():
    """A parameter repeated past state.MAX_VALUES: its first values are read and one
    notice says how many were ignored. (Past 1,000 parameters in all, Streamlit drops the
    whole query string before the app sees it; README, Security.)"""
    at = run("overview", sector=["Policing"] * 900)
    assert not at.exception
    assert len(at.warning) == 1, "no notice that values were ignored"
    text = at.warning[0].value
    assert re.search(r"repeat", text, re.I) and re.search(r"ignor", text, re.I), text
    assert len(text) < 500


@pytest.mark.parametrize("langs, want", [(["xx", "fr"], "fr"), (["fr", "xx"], "fr"), (["es", "fr"], "es")])
def test_the_first_valid_lang_sets_the_interface_and_the_notice(langs, want):
    from cmap_tracker import i18n

    cat = i18n.catalogue(want)
    at = run("overview", lang=langs)
    assert not at.exception
    from cmap_tracker import safe
    from cmap_tracker.plan import bundled

    assert at.title[0].value == safe.md(bundled().name[want])  # on the first run, not after one
    assert at.session_state["w_lang"] == want
    prefix = cat["Some values in the link were not recognised and were ignored: {items}"].split("{")[0]
    for w in at.warning:
        assert w.value.startswith(prefix), w.value
    if "xx" in langs[: langs.index(want)]:
        assert "lang=xx" in visible_text(notice(at))


# ------------------------------------------------------------ markup in the data itself


MD_PAYLOAD = f"![px](http://{HOST}/md-img) [t](http://{HOST}/y) **URGENT** <b>x</b> http://{HOST}/z \u202egnp.exe"
SECTORS = ("Sec <b>5</b>", f'<a href="http://{HOST}/p">x</a>', "Ent &lt;b&gt;")
TITLES = (MD_PAYLOAD, f'<a href="http://{HOST}/t">y</a>', "Ent &lt;i&gt; title")
DATA_HEADER = (
    "id,title,pillar,sector,status,start_date,end_date,milestone,themes,description,"
    "lead_canada,lead_mexico,confidence,source_url,source_note,last_updated,"
    f"title_fr,title_es,description_fr,description_es,![c](http://{HOST}/extra-img)"
)


def _cell(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def hostile_csv() -> bytes:
    """Three rows whose every text column holds Markdown, HTML or Plotly markup."""
    p = _cell(MD_PAYLOAD)
    rows = [
        ",".join(
            [
                "X-1",
                p,
                "security",
                _cell(SECTORS[0]),
                "planned",
                "2025-10-01",
                "2026-10-01",
                "false",
                _cell(f"energy;{MD_PAYLOAD}"),
                p,
                p,
                p,
                "official",
                "https://example.org/x",
                p,
                "2026-01-01",
                p,
                p,
                p,
                p,
                p,
            ]
        ),
        ",".join(
            [
                "X-2",
                _cell(TITLES[1]),
                "prosperity",
                _cell(SECTORS[1]),
                "in_progress",
                "2025-11-01",
                "",
                "false",
                "trade",
                p,
                "",
                "",
                "",
                "https://example.org/y",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        ),
        ",".join(
            [
                "X-3",
                _cell(TITLES[2]),
                "mobility",
                _cell(SECTORS[2]),
                "completed",
                "2025-12-01",
                "2026-02-01",
                p,
                "mobility",
                "",
                "",
                "",
                "",
                "https://example.org/z",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        ),
    ]
    return csv_bytes(*rows, header=DATA_HEADER)


@pytest.fixture
def hostile_data(tmp_path, monkeypatch):
    path = tmp_path / "hostile.csv"
    path.write_bytes(hostile_csv())
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    return path


def open_tables(at: AppTest) -> AppTest:
    """Open every "Show as table" (what clicking it does) and run again."""
    for box in at.expander:
        if box.key:
            at.session_state[box.key] = True
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_markup_in_every_text_column_is_shown_as_text_on_every_page(page, hostile_data):
    """Every page with the hostile rows in view, filtered by their sectors (the
    summary names them), one of them open (?id=) and every chart's table open."""
    at = open_tables(run(page, sector=list(SECTORS), id="X-1"))
    assert not at.exception, at.exception
    assert summary(at).endswith("3 of 3 initiatives**"), "the hostile rows were not loaded"
    assert screen_problems(at) == []


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_markup_in_the_data_is_shown_as_text_in_the_detail_card(lang, hostile_data):
    """Break 2: the card's heading fetched the title's image for anyone opening
    /explorer?id=…, and its bare URLs became links (also in the escaped leads)."""
    at = run("explorer", id="X-1", lang=lang)
    assert not at.exception
    heading = [h.value for h in at.header if "X-1" in visible_text(h.value)]
    assert heading, "the detail card is not shown"
    assert markup_in(heading[0]) == []
    assert "![px](http://127.0.0.1:8765/md-img)" in visible_text(heading[0])
    assert screen_problems(at) == []


def test_markup_in_sector_names_is_shown_as_text_in_the_filters_summary(hostile_data):
    at = run("status", sector=list(SECTORS))
    assert not at.exception
    assert summary(at).endswith("3 of 3 initiatives**")
    assert markup_in(summary(at)) == []
    assert all(s in visible_text(summary(at)) for s in SECTORS)
    assert screen_problems(at) == []


REPEATED = f"![x](http://{HOST}/hdrimg)"  # as the loader names it (lower case, no "-")


def test_a_repeated_hostile_column_name_is_shown_as_text(tmp_path, monkeypatch):
    """Break 3: the error every viewer sees names the repeated column."""
    path = tmp_path / "repeated.csv"
    path.write_bytes(
        csv_bytes(
            "A-1,T,x,x,security,Policing,planned,2025-09-18,https://example.org/a",
            header=f"id,title,{REPEATED},{REPEATED},pillar,sector,status,start_date,source_url",
        )
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("overview")
    assert not at.exception
    assert any("could not be used" in e.value for e in at.error)
    assert REPEATED in " ".join(visible_text(t) for _w, t, _m in on_screen(at))  # named, as text
    assert screen_problems(at) == []


def test_a_hostile_data_file_name_is_shown_as_text(tmp_path, monkeypatch):
    """A file name cannot hold '/', but 'http:127.0.0.1:8765' is still an address."""
    path = tmp_path / f"![f](http:{HOST}) **URGENT**.csv"
    path.write_bytes(b"name,colour\nx,blue\n")
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("overview")
    assert not at.exception
    assert any("could not be used" in e.value for e in at.error)
    assert screen_problems(at) == []


UPLOAD_NAME = f"![u](http://{HOST}/up-img).csv"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            csv_bytes("U-1,Uploaded,security,Policing,completed,2026-01-01,https://example.org/u"), id="valid"
        ),
        pytest.param(
            csv_bytes(
                "U-1,T,x,x,security,Policing,planned,2025-09-18,https://example.org/a",
                header=f"id,title,{REPEATED},{REPEATED},pillar,sector,status,start_date,source_url",
            ),
            id="repeated-hostile-header",
        ),
    ],
)
def test_a_hostile_upload_file_name_is_shown_as_text(body):
    at = run("data")
    at.file_uploader[0].set_value((UPLOAD_NAME, body, "text/csv")).run()
    assert not at.exception
    shown = " ".join(visible_text(t) for _w, t, _m in on_screen(at))
    if at.error:  # the file is refused: the error names the repeated column, as text
        assert REPEATED in shown
    else:  # the file is used: its name is shown, as text
        assert summary(at) == "**1 of 1 initiatives**" and UPLOAD_NAME in shown
    assert screen_problems(at) == []


# ------------------------------------------------------------------------ Plotly text


PLOTLY_TAG = re.compile(r"<[^<>]*>")
_TEMPLATE_REF = re.compile(r"%\{customdata\[(\d+)\]")


def plotly_shown(text: str) -> str:
    """What Plotly draws of a label: <br> as a line break, entities decoded once."""
    return html.unescape(re.sub(r"<br\s*/?>", " ", text, flags=re.I))


def chart_strings(fig: dict) -> list[str]:
    """Every string Plotly draws from a figure's data: axis values, labels, texts,
    trace names, tick texts, annotations, and the customdata its templates show."""
    out: list[str] = []

    def take(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            for x in v:
                take(x)

    for trace in fig.get("data", []):
        for key in ("x", "y", "labels", "text", "hovertext", "name"):
            take(trace.get(key))
        take((trace.get("node") or {}).get("label"))
        used = {
            int(i)
            for t in (trace.get("hovertemplate"), trace.get("texttemplate"))
            if isinstance(t, str)
            for i in _TEMPLATE_REF.findall(t)
        }
        for row in trace.get("customdata") or []:
            if isinstance(row, (list, tuple)):
                take([row[i] for i in used if i < len(row)])
    layout = fig.get("layout", {})
    take([(layout.get("title") or {}).get("text")])
    take([a.get("text") for a in layout.get("annotations", [])])
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            take(axis.get("ticktext"))
    return out


def _shows(shown: str, raw: str) -> bool:
    """``raw`` appears in ``shown``, whole or cut with an ellipsis after its first 10 characters."""
    shown, raw = " ".join(shown.split()), " ".join(raw.split())
    if raw in shown:
        return True
    return any(
        shown[i:].startswith(raw[:k]) and shown[i + k :].startswith("…")
        for i in (m.start() for m in re.finditer(re.escape(raw[:10]), shown))
        for k in range(10, len(raw))
    )


def chart_problems(fig: dict) -> list[str]:
    """Tags from data in chart text, and data values not shown literally."""
    found = []
    markers = dict(zip(SECTORS + TITLES, ("Sec <b>", "8765/p", "Ent &lt;b", "![px](", "8765/t", "Ent &lt;i")))
    for s in chart_strings(fig):
        tags = [t for t in PLOTLY_TAG.findall(s) if not re.fullmatch(r"<br\s*/?>", t, re.I)]
        if tags and any(m in plotly_shown(s) or m in s for m in markers.values()):
            found.append(f"markup {tags} in {s!r}")
        shown = plotly_shown(s)
        for raw, marker in markers.items():
            if (marker in shown or marker in s) and not _shows(shown, raw):
                found.append(f"{raw!r} not shown literally: {s!r} reads {shown!r}")
    return found


@pytest.fixture(scope="module")
def hostile_frame():
    from cmap_tracker import dataset, i18n, loader
    from cmap_tracker.filters import Filters

    i18n.set_language("en")
    result = loader.load(hostile_csv(), name="hostile.csv")
    assert result.ok
    ds = dataset.build(result)
    df = Filters().apply(ds)
    assert set(df["sector"].astype(str)) == set(SECTORS)
    return ds, df


def _builders():
    from datetime import date

    from cmap_tracker import charts, timeline

    today = date(2026, 5, 1)
    return {
        "status_by_sector": lambda ds, df: charts.status_by_sector(df),
        "hierarchy": lambda ds, df: charts.hierarchy(df),
        "timeline": lambda ds, df: timeline.timeline(df, today),
        "timeline_by_sector": lambda ds, df: timeline.timeline_by_sector(df, today),
    }


@pytest.mark.parametrize("name", list(_builders()))
def test_chart_text_from_data_is_drawn_as_text(name, hostile_frame):
    """Break 4: a sector 'Sec <b>5</b>' was drawn bold, an <a href> was a link in
    the treemap and '&lt;b&gt;' read '<b>'. Plotly must get them escaped."""
    ds, df = hostile_frame
    fig = json.loads(_builders()[name](ds, df).to_json())
    assert any("Sec" in s for s in chart_strings(fig)), "the hostile sector is not in the chart"
    assert chart_problems(fig) == []


def test_charts_on_every_page_draw_data_as_text(hostile_data):
    """The same through the app: every chart of every page, as sent to the browser."""
    bad = {}
    for page, query in (
        ("overview", {}),
        ("overview", {"tab": "sector"}),
        ("status", {}),
        ("timeline", {}),
        ("themes", {}),
    ):
        at = run(page, **query)
        assert not at.exception
        for chart in at.get("plotly_chart"):
            spec = json.loads(chart.proto.spec)
            if found := chart_problems(spec):
                bad[f"{page} {query} {spec['layout'].get('title', {}).get('text')}"] = found
    assert bad == {}


# ------------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.csv"
    path.write_bytes(hostile_csv())
    s = Server(env={"DASHBOARD_DATA": str(path)}).start()
    yield s
    s.stop()


def _payload_requests(requests: list[str]) -> list[str]:
    return [u for u in requests if urlparse(u).netloc == HOST]


def _markup_on_page(page) -> dict:
    return {
        "links to the payload host": page.locator('a[href*="8765"], a[*|href*="8765"]').count(),
        "images from the payload host": page.locator('img[src*="8765"]').count(),
        "links inside charts": page.locator("svg a").count(),
        "bold URGENT": page.locator("strong, b").filter(has_text=re.compile(r"^\s*URGENT\s*$")).count(),
    }


WAIT = 30_000  # ms: a cold server's first page, or a chart, may take a while on 2 cores
NOTICE_LINK = (
    "/?pillar=%21%5Bp%5D%28http%3A%2F%2F127.0.0.1%3A8765%2Fnotice-img%29"
    "&sector=%5BOfficial+correction%5D%28http%3A%2F%2F127.0.0.1%3A8765%2Fphish%29&status=**URGENT**"
)


def _settled(page) -> None:
    """The sidebar is drawn (the script has run to its end), without sleeping."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Reset filters")).to_be_visible(timeout=WAIT)


@pytest.mark.browser
def test_hostile_links_and_data_fetch_nothing_and_link_nowhere_in_chromium(hostile_server, page):
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    seen = {}

    def look(where: str, name: str) -> None:
        shot(page, name)
        seen[where] = {**_markup_on_page(page), "requests to the payload host": _payload_requests(requests)}
        requests.clear()

    page.goto(hostile_server.url + NOTICE_LINK)  # break 1
    expect(page.get_by_test_id("stAlert").filter(has_text="not recognised")).to_be_visible(timeout=WAIT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=WAIT)
    _settled(page)
    look("notice", "security-notice")

    page.goto(hostile_server.url + "/explorer?id=X-1&embed=true")  # break 2, embedded: no sidebar
    expect(page.get_by_test_id("stHeading").filter(has_text="X-1")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Lead (Canada)")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=WAIT)
    look("detail card, embedded", "security-detail-embed")

    page.goto(hostile_server.url + "/?tab=sector")  # break 4
    expect(page.locator(".js-plotly-plot .treemaplayer .slice").first).to_be_visible(timeout=WAIT)
    _settled(page)
    look("treemap", "security-treemap")
    drawn = page.locator(".js-plotly-plot .treemaplayer").first.text_content()

    clean = dict.fromkeys(seen["notice"], 0) | {"requests to the payload host": []}
    assert seen == {where: clean for where in seen}, seen
    assert "Sec <b>5</b>" in drawn, drawn  # the sector's name, as written in the data


@pytest.mark.browser
def test_a_hostile_upload_file_name_fetches_nothing_in_chromium(hostile_server, page):
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(hostile_server.url + "/data")
    _settled(page)
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(
        files=[
            {
                "name": UPLOAD_NAME,
                "mimeType": "text/csv",
                "buffer": csv_bytes("U-1,Uploaded one,security,Policing,completed,2026-01-01,https://example.org/u"),
            }
        ]
    )
    expect(page.get_by_text(re.compile(r"1 of 1 initiatives"))).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stAlert").filter(has_text="uploaded file")).to_be_visible(timeout=WAIT)
    _settled(page)
    shot(page, "security-upload-name")
    seen = {**_markup_on_page(page), "requests to the payload host": _payload_requests(requests)}
    assert seen == dict.fromkeys(_markup_on_page(page), 0) | {"requests to the payload host": []}, seen


@pytest.mark.browser
def test_clicking_a_hostile_sector_s_bar_narrows_to_it_in_chromium(hostile_server, page):
    """Cross-filtering gets the raw value: the view narrows to exactly one sector,
    named literally in the summary."""
    from playwright.sync_api import expect

    page.goto(hostile_server.url + "/status")
    chart = page.locator("[data-testid='stPlotlyChart']").first
    expect(chart.locator("g.trace.bars path").first).to_be_visible(timeout=WAIT)
    _settled(page)
    box = chart.locator("g.trace.bars").first.locator("path").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => new URL(location.href).searchParams.get('sector')")
    text = page.get_by_text(re.compile(r"1 of 3 initiatives"))
    expect(text).to_be_visible(timeout=WAIT)
    shot(page, "security-sector-click")
    assert sum(s in text.inner_text() for s in SECTORS) == 1, text.inner_text()
    assert _markup_on_page(page)["links to the payload host"] == 0
