"""AppTest: every page, query parameters, bad data and uploads, without a browser."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, csv_bytes, run, shown

PAGES = ["overview", "status", "timeline", "themes", "explorer", "changes", "data"]


def qp(at: AppTest, key: str) -> list[str]:
    """A query parameter as the list of its values (AppTest keeps one as a bare string)."""
    v = at.query_params.get(key, [])
    return [v] if isinstance(v, str) else list(v)


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.error]
    return shown("\n".join(str(p) for p in parts))


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "initiatives**" in m.value)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_bundled_data(page):
    at = run(page)
    assert not at.exception, at.exception
    assert summary(at) == "**51 of 51 initiatives**"
    assert at.title[0].value  # the page has a heading


@pytest.mark.parametrize("page", PAGES)
def test_every_page_honours_a_filtered_url(page):
    at = run(page, pillar=["security"], status=["planned"])
    assert not at.exception, at.exception
    assert summary(at).startswith("**Security · Planned · ")
    assert at.session_state["w_pillar"] == ["security"]
    assert qp(at, "pillar") == ["security"]


@pytest.mark.parametrize("page", ["overview", "status", "timeline", "themes", "explorer"])
def test_a_filter_that_matches_nothing_shows_the_empty_state(page):
    at = run(page, q="no initiative has this phrase zzz")
    assert not at.exception
    assert summary(at).endswith("0 of 51 initiatives**")
    assert any("No initiatives match these filters" in i.value for i in at.info)


def test_unknown_url_values_are_ignored_with_a_notice():
    at = run("overview", pillar=["security", "atlantis"], status=["sleeping"], **{"from": "not-a-date"})
    assert not at.exception
    warning = shown(" ".join(w.value for w in at.warning))
    assert "pillar=atlantis" in warning and "status=sleeping" in warning and "from=not-a-date" in warning
    assert summary(at).startswith("**Security · ")  # the valid value is kept


def test_detail_view_is_addressable_by_id():
    at = run("explorer", id="SE-POL-01")
    assert not at.exception
    assert any("SE-POL-01" in shown(h.value) for h in at.header)
    assert qp(at, "id") == ["SE-POL-01"]


def test_changing_a_sidebar_filter_updates_the_url_and_counts():
    at = run("status")
    at.sidebar.multiselect(key="w_status").set_value(["completed"]).run()
    assert not at.exception
    assert qp(at, "status") == ["completed"]
    assert summary(at).startswith("**Completed · 15 of 51")


def test_reset_filters_clears_every_filter():
    at = run("overview", pillar=["security"], q="fentanyl")
    assert summary(at) != "**51 of 51 initiatives**"
    at.sidebar.button[0].click().run()
    assert summary(at) == "**51 of 51 initiatives**"
    assert "pillar" not in at.query_params and "q" not in at.query_params


def test_mixed_file_shows_valid_rows_and_reports_the_rest(tmp_path, monkeypatch):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        csv_bytes(
            "A-1,Valid row,security,Policing,planned,2025-09-18,https://example.org/a",
            "A-2,Bad pillar,outer space,Policing,planned,2025-09-18,https://example.org/b",
            "A-1,Duplicate id,security,Policing,planned,2025-09-18,https://example.org/c",
            "A-4,Bad link,prosperity,Trade,planned,2025-09-18,javascript:alert(1)",
        )
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("data")
    assert not at.exception
    assert summary(at) == "**1 of 1 initiatives**"
    report = at.dataframe[0].value
    assert list(report["Line"]) == [3, 4, 5]
    reasons = " ".join(report["Reason"])
    assert "not a known pillar" in reasons
    assert "already used on line 2" in reasons
    assert "http:// or https://" in reasons


def test_missing_data_file_gives_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA", str(tmp_path / "nope.csv"))
    at = run("overview")
    assert not at.exception
    assert any("could not be used" in e.value for e in at.error)
    assert "does not exist" in text_of(at)
    assert "nope.csv" in text_of(at)
    assert str(tmp_path) not in text_of(at), "the error page shows the server's directories"


def test_uploading_a_broken_file_shows_one_clear_error():
    at = run("data")
    at.file_uploader[0].set_value(("broken.csv", b"name,colour\nx,blue\n", "text/csv")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    errors = [shown(e) for e in errors]
    assert "Required column(s) missing" in errors[0] and "pillar" in errors[0]
    assert summary(at) == "**51 of 51 initiatives**"  # the bundled data stays in view


def test_uploading_a_valid_file_is_used_in_this_session_only():
    at = run("data")
    body = csv_bytes("U-1,Uploaded one,security,Policing,completed,2026-01-01,https://example.org/u")
    at.file_uploader[0].set_value(("mine.csv", body, "text/csv")).run()
    assert not at.exception
    assert summary(at) == "**1 of 1 initiatives**"
    assert any("mine.csv" in shown(i.value) for i in at.info)
    other = run("data")  # a new session still sees the bundled data
    assert summary(other) == "**51 of 51 initiatives**"


def test_markup_in_data_is_shown_as_text(tmp_path, monkeypatch):
    path = tmp_path / "evil.csv"
    path.write_bytes(
        csv_bytes(
            'X-1,"<img src=x onerror=alert(1)> [click](javascript:alert(1))",security,"**Bold** sector",planned,2025-09-18,https://example.org/x'
        )
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("explorer", id="X-1")
    assert not at.exception
    md = "\n".join(m.value for m in at.markdown)
    assert "\\*\\*Bold\\*\\* sector" in md  # escaped, so Markdown shows the asterisks
    assert "](javascript:" not in md


def test_show_as_table_escapes_markup_in_data(tmp_path, monkeypatch):
    """st.table reads cells as Markdown: the chart tables must carry data as text."""
    path = tmp_path / "evil.csv"
    path.write_bytes(
        csv_bytes('X-1,Title,security,"**Bold** [x](javascript:alert(1))",planned,2025-09-18,https://example.org/x')
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("status")
    assert not at.exception
    assert not at.table  # built only when "Show as table" is opened
    at.session_state["status_by_sector__table"] = True  # what opening it does
    at.run()
    assert len(at.table) == 1
    cells = [str(v) for t in at.table for v in t.value.to_numpy().ravel()]
    assert any("\\*\\*Bold\\*\\*" in c for c in cells), cells
    assert not any("**Bold**" in c or "](javascript:" in c for c in cells), cells


def test_what_changed_lists_titles_in_the_reader_s_language():
    at = run("changes", lang="fr")
    assert not at.exception
    shown = " ".join(str(v) for t in at.dataframe for v in t.value.to_numpy().ravel())
    assert "Coorganisation et célébration commune de la Coupe du monde de la FIFA 2026" in shown  # completed
    assert "Appel de propositions pour la collaboration académique" in shown  # added
    assert "2026 FIFA World Cup: co-hosting" not in shown
    at = run("changes")
    shown = " ".join(str(v) for t in at.dataframe for v in t.value.to_numpy().ravel())
    assert "2026 FIFA World Cup: co-hosting and joint celebration" in shown


def test_missing_dates_in_the_explorer_read_as_a_dash_not_none():
    at = run("explorer", lang="fr")
    assert not at.exception
    assert at.dataframe[0].proto.placeholder == "—"  # Streamlit's default shows the English word "None"


def test_a_small_view_of_a_large_file_sends_only_the_values_it_shows(tmp_path, monkeypatch):
    """Repeating text (sector, leads, source URL) is held as categoricals; a table of a few
    rows must not carry every distinct value of the whole file to the browser."""
    import pyarrow as pa

    rows = [f"X-{i:02d},Title {i},security,S{i % 4},planned,2026-01-01,https://example.org/{i % 20}" for i in range(40)]
    path = tmp_path / "many-urls.csv"
    path.write_bytes(csv_bytes(*rows))
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("explorer", sector="S1")
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == 10
    table = pa.ipc.open_stream(at.dataframe[0].proto.arrow_data.data).read_all()
    urls = table.column("Source").combine_chunks()
    sent = urls.dictionary if pa.types.is_dictionary(urls.type) else urls.unique()
    assert sorted(sent.to_pylist()) == sorted(set(shown["Source"]))  # 5 URLs, not the file's 20
    assert len(sent) == 5


def test_a_table_sends_only_the_columns_it_shows_not_the_rows_positions_in_the_file():
    import pandas as pd
    import pyarrow as pa

    positions = pd.read_csv(ROOT / "data" / "initiatives.csv").index[
        pd.read_csv(ROOT / "data" / "initiatives.csv")["status"].eq("planned")
    ]
    assert len(set(positions.to_series().diff().dropna())) > 1  # not evenly spaced: no RangeIndex
    at = run("explorer", status=["planned"])
    assert not at.exception
    table = pa.ipc.open_stream(at.dataframe[0].proto.arrow_data.data).read_all()
    assert table.column_names == list(at.dataframe[0].value.columns)
    assert "__index_level_0__" not in table.column_names


def test_overview_draws_the_open_tab_only():
    at = run("overview")
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 1 and specs[0]["data"][0]["type"] == "bar"  # status by pillar; no treemap yet
    at.session_state["overview_tab"] = "By sector"  # what clicking the tab does
    at.run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 1 and specs[0]["data"][0]["type"] == "treemap"


@pytest.mark.parametrize("page", ["changes", "data", "overview"])
def test_every_page_counts_the_rows_in_view(page):
    at = run(page, pillar=["security"])
    assert not at.exception, at.exception
    assert summary(at) == "**Security · 10 of 51 initiatives**"


def test_the_changes_page_offers_every_change_as_csv():
    """The download holds one row per change between the two newest snapshots, with
    a header a spreadsheet reads (built when clicked: the page only offers it)."""
    from cmap_tracker import changes, snapshots, spreadsheet

    at = run("changes")
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["Download the changes (CSV)"]
    snaps = [s for s in snapshots.load_snapshots() if s.result.ok]
    changes = changes.diff(snaps[-2], snaps[-1]).changes
    data = spreadsheet.table_csv_bytes(changes).decode("utf-8-sig")
    assert data.splitlines()[0] == '"id","title","field","before","after"'
    assert len(data.splitlines()) == len(changes) + 1 > 1


def test_table_links_are_http_only_and_carry_only_the_values_shown():
    """Defence in depth behind the loader: the table's link column drops anything not
    http(s), and its categories are only those of the rows shown."""
    import pandas as pd

    from cmap_tracker import dataset, loader, tables

    ds = dataset.build(loader.load(ROOT / "data" / "initiatives.csv"))
    cats = ["https://a.example/1", "javascript:alert(1)", "HTTP://B.EXAMPLE/2", "https://unused.example"]
    urls = pd.Categorical(["https://a.example/1", "javascript:alert(1)", None, "HTTP://B.EXAMPLE/2"], categories=cats)
    out = tables.display_frame(ds.view.head(4).assign(source_url=urls))["Source"]
    assert out.tolist()[0] == "https://a.example/1" and out.tolist()[3] == "HTTP://B.EXAMPLE/2"
    assert out.isna().tolist() == [False, True, True, False]
    assert list(out.cat.categories) == ["https://a.example/1", "HTTP://B.EXAMPLE/2"]
    plain = tables.display_frame(ds.view.head(4).assign(source_url=pd.Series(urls).astype(object).values))["Source"]
    assert plain.isna().tolist() == [False, True, True, False]


def test_themes_says_so_when_no_row_in_view_carries_the_chosen_themes():
    at = run("themes", pillar=["mobility"])  # critical minerals are all in Prosperity
    at.multiselect(key="deep_themes").set_value(["critical_minerals"]).run()
    assert not at.exception
    assert any("No initiative in view carries these themes" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1 and not at.dataframe  # the theme matrix only
    at.multiselect(key="deep_themes").set_value(["mobility"]).run()
    assert not any("carries these themes" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 3


def test_the_open_overview_tab_is_in_the_link_and_survives_a_change_of_language():
    at = run("overview", tab="sector")
    assert not at.exception
    assert [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")] == ["treemap"]
    at.sidebar.selectbox(key="w_lang").set_value("fr").run()  # the tab's label is now French
    assert [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")] == ["treemap"]
    assert qp(at, "tab") == ["sector"]
    at.session_state["overview_tab"] = "Par statut"  # what clicking the first tab does
    at.run()
    assert [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")] == ["bar"]
    assert qp(at, "tab") == []


def test_only_the_overview_s_link_carries_its_tab_and_the_tab_is_kept_for_the_return():
    at = run("overview", tab="sector")
    at.switch_page("pages/status.py").run()
    assert not at.exception and at.title[0].value == "Status"
    assert qp(at, "tab") == []
    at.switch_page("pages/overview.py").run()
    assert [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")] == ["treemap"]
    assert qp(at, "tab") == ["sector"]


@pytest.mark.parametrize(
    "page, act",
    [
        ("themes", lambda at: at.multiselect(key="deep_themes").set_value([])),  # "Pick at least one theme."
        ("status", lambda at: at.sidebar.text_input(key="w_q").set_value("zzzz")),  # the empty state
    ],
)
def test_a_page_that_ends_early_keeps_the_sidebar_filters(page, act):
    """A page that stops early (app.stop) still draws the sidebar: as the same widgets,
    so the filters in it and in the link are kept, not reset."""
    at = run(page, pillar=["mobility"])
    before = at.sidebar.multiselect(key="w_pillar").id
    act(at).run()
    assert not at.exception
    assert at.sidebar.multiselect(key="w_pillar").id == before
    assert at.session_state["w_pillar"] == ["mobility"] and qp(at, "pillar") == ["mobility"]
    assert summary(at).startswith("**Mobility")
