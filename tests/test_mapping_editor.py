"""The Data page's mapping editor (AppTest): an upload of another shape is read again at once through the
edited mapping, a status override or the day/month order; a mapping file applies to the upload, a bad one is
refused with its reason; the hosted file's mapping is shown read-only; a file of the contract shows no editor."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest
from test_mapping import world_bank_file, write_csv

from cmap_tracker.dates import DateOrder
from cmap_tracker.mapping import Source, read_mapping
from conftest import run, shot, shown, wait_for_app

EDITOR_HEADING = "How the file's columns are read"


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.endswith("initiatives**"))


def uploaded(body: bytes, name: str = "export.csv") -> AppTest:
    at = run("data")
    at.file_uploader[0].set_value((name, body, "text/csv")).run()
    assert not at.exception
    return at


def edit(at: AppTest, table: int, rows: dict[int, dict[str, object]]) -> AppTest:
    """Edit cells of the page's ``table``-th editable table, as a reader does, and run the page."""
    at.session_state[at.data_editor[table].key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def row_of(at: AppTest, column: str) -> int:
    return list(at.data_editor[0].value["column"]).index(column)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def test_the_guess_is_shown_with_its_defaults_and_the_file_s_columns():
    at = uploaded(world_bank_file())
    table = at.data_editor[0].value.set_index("column")
    assert table.loc["title", "file"] == "Project Name" and table.loc["start_date", "file"] == "Board Approval Date"
    assert table.loc["pillar", "default"] == "“Unassigned”" and pd.isna(table.loc["pillar", "file"])
    assert list(at.data_editor[1].value["value"]) == ["Active", "Closed", "Pipeline", "Dropped"]


def test_choosing_another_file_column_reads_the_upload_again():
    at = uploaded(world_bank_file())
    assert summary(at) == "**58 of 58 initiatives**"  # two rows have no board approval date
    edit(at, 0, {row_of(at, "start_date"): {"file": "Project Closing Date"}})
    assert not at.exception and not at.error
    assert summary(at) == "**60 of 60 initiatives**"
    assert at.data_editor[0].value.set_index("column").loc["start_date", "file"] == "Project Closing Date"
    assert at.sidebar.multiselect(key="w_pillar").options == ["Unassigned"]
    edit(at, 0, {row_of(at, "pillar"): {"constant": "World Bank"}})
    assert at.sidebar.multiselect(key="w_pillar").options == ["World Bank"]
    at.switch_page("pages/overview.py").run()  # every page shows the data read through the new mapping
    assert not at.exception and summary(at) == "**60 of 60 initiatives**"


def test_a_mapping_that_cannot_be_used_leaves_the_data_as_it_was():
    at = uploaded(world_bank_file())
    edit(at, 0, {row_of(at, "title"): {"file": None}})  # title has no default
    assert not at.exception
    assert errors(at) == [
        "This mapping could not be used: Required column(s) missing: title. "
        "Expected at least: id, title, pillar, sector, status, start_date, source_url."
    ]
    assert summary(at) == "**58 of 58 initiatives**"
    assert at.data_editor[0].value.set_index("column").loc["title", "file"] == "Project Name"


def test_an_optional_column_cleared_stays_empty_and_is_not_guessed_again():
    at = uploaded(world_bank_file())
    assert at.data_editor[0].value.set_index("column").loc["end_date", "file"] == "Project Closing Date"
    edit(at, 0, {row_of(at, "end_date"): {"file": None}})
    assert not at.exception and not at.error
    assert pd.isna(at.data_editor[0].value.set_index("column").loc["end_date", "file"])
    assert summary(at) == "**58 of 58 initiatives**"


def test_a_pillar_filter_the_new_mapping_has_no_more_is_dropped():
    at = uploaded(regional_file())
    edit(at, 0, {row_of(at, "pillar"): {"file": "Region"}})
    at.sidebar.multiselect(key="w_pillar").set_value(["africa"]).run()
    assert summary(at) == "**Africa · 4 of 12 initiatives**"
    edit(at, 0, {row_of(at, "pillar"): {"file": None}})  # back to the default: one pillar, Unassigned
    assert not at.exception and summary(at) == "**12 of 12 initiatives**"
    assert at.sidebar.multiselect(key="w_pillar").value == []


def test_a_status_the_vocabulary_does_not_read_gets_an_override():
    at = uploaded(world_bank_file().replace(b",Dropped,", b",Halted,"))
    assert summary(at) == "**44 of 44 initiatives**"  # 15 rows "Halted", and line 12 has no date
    first = at.data_editor[1].value.iloc[0]  # a value not read is listed first, with no status
    assert (first["value"], first["rows"], pd.isna(first["term"])) == ("Halted", 15, True)
    edit(at, 1, {0: {"term": "cancelled"}})
    assert summary(at) == "**58 of 58 initiatives**"
    assert at.data_editor[1].value.set_index("value").loc["Halted", "term"] == "cancelled"


def start_dates(at: AppTest) -> list[pd.Timestamp]:
    """The start dates the Explorer's table shows."""
    at.switch_page("pages/explorer.py").run()
    return list(at.dataframe[0].value["Start"])


def test_the_day_first_choice_reads_the_dates_again():
    body = write_csv(
        ["Project Name", "Sector", "Project Status", "Start Date", "Project URL"],
        [["Bridge", "Water", "Active", "03/04/2020", "https://example.org/a"]],
    )
    at = uploaded(body)
    assert at.radio[0].value is DateOrder.AUTO  # no day over 12: month first
    assert start_dates(at) == [pd.Timestamp("2020-03-04")]
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value(DateOrder.DAY_FIRST).run()
    assert not at.exception and at.radio[0].value is DateOrder.DAY_FIRST
    assert start_dates(at) == [pd.Timestamp("2020-04-03")]


WORLD_BANK_MAPPING = """
[columns]
id = { column = "Project Id" }
title = { column = "Project Name" }
pillar = { constant = "World Bank" }
sector = { column = "Sector 1" }
status = { column = "Project Status" }
start_date = { column = "Project Closing Date" }
source_url = { column = "Project URL" }
"""


def test_a_mapping_file_applies_to_the_upload():
    at = uploaded(world_bank_file())
    at.file_uploader[1].set_value(("wb.toml", WORLD_BANK_MAPPING.encode(), "application/toml")).run()
    assert not at.exception and not at.error
    assert summary(at) == "**60 of 60 initiatives**"
    assert at.sidebar.multiselect(key="w_pillar").options == ["World Bank"]
    assert at.data_editor[0].value.set_index("column").loc["pillar", "constant"] == "World Bank"


@pytest.mark.parametrize(
    "body,says",
    [
        (b"[columns]\nbudget = 'Amount'\n", "The mapping names 'budget', which is not a column of the contract"),
        (b"[columns\n", "The mapping file is not valid TOML"),
        (b"[columns]\ntitle = 'Headline'\n", "The mapping names the column 'Headline', which this file does not have"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_its_reason(body, says):
    at = uploaded(world_bank_file())
    at.file_uploader[1].set_value(("bad.toml", body, "application/toml")).run()
    assert not at.exception
    assert len(errors(at)) == 1 and says in errors(at)[0]
    assert summary(at) == "**58 of 58 initiatives**"
    at.file_uploader[0].set_value(("other.csv", regional_file(), "text/csv")).run()
    assert summary(at) == "**12 of 12 initiatives**" and not at.error  # the error was about the last upload


def test_the_hosted_file_s_mapping_is_read_only(tmp_path, monkeypatch):
    path = tmp_path / "worldbank.csv"
    path.write_bytes(world_bank_file())
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("data")
    assert not at.exception
    assert EDITOR_HEADING in [h.value for h in at.header]
    assert not at.data_editor and not at.radio  # a viewer cannot change what the server serves
    table = next(d.value for d in at.dataframe if "column" in d.value)
    assert table.set_index("column").loc["title", "file"] == "Project Name"
    assert len(at.file_uploader) == 1  # the CSV upload box only
    assert "Download this mapping" in [b.proto.label for b in at.get("download_button")]


def test_a_pillar_that_is_not_the_plans_gets_an_override():
    """An upload of the contract's shape, mostly of the plan's pillars: a typo is mapped, and its row comes back."""
    rows = [f"A-{k},Title,security,Policing,planned,2026-01-15,https://example.org/s" for k in range(3)]
    body = "\n".join(
        [
            "id,title,pillar,sector,status,start_date,source_url",
            *rows,
            "A-9,Title,Securty,Policing,planned,2026-01-15,https://example.org/s",
        ]
    )
    at = uploaded(body.encode())
    assert summary(at) == "**3 of 3 initiatives**"
    pillars = at.data_editor[-1].value
    assert list(pillars["value"]) == ["Securty", "security"] and pd.isna(pillars["term"].iat[0])
    edit(at, len(at.data_editor) - 1, {0: {"term": "security"}})
    assert not at.exception and summary(at) == "**4 of 4 initiatives**"


def test_a_file_of_the_contract_shows_no_mapping():
    at = run("data")
    assert EDITOR_HEADING not in [h.value for h in at.header]
    assert not at.data_editor


# ------------------------------------------------------------------ in a browser

REGIONS = ["Latin America and Caribbean", "East Asia and Pacific", "Africa"]


def regional_file() -> bytes:
    """A World Bank-shaped export whose regions could be the pillars: nothing in its header says so."""
    header = [
        "Project Id",
        "Region",
        "Project Status",
        "Project Name",
        "Board Approval Date",
        "Sector 1",
        "Project URL",
    ]
    rows = [
        [
            f"P{1000 + k}",
            REGIONS[k % 3],
            "Active",
            f"Project {k}",
            f"June {1 + k}, 2020",
            "Water",
            f"https://example.org/p{k}",
        ]
        for k in range(12)
    ]
    return write_csv(header, rows)


def open_page(page, name: str) -> None:
    """Switch page within the session (a new address would start a new session, without the upload)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    wait_for_app(page)


def pillar_chart(page):
    return page.locator(".js-plotly-plot").first


def choose_file_column(page, row: int, option: str) -> None:
    """In the columns table, move to the file-column cell of ``row`` (the grid's accessible cells say which one
    is selected), open it and pick ``option``."""
    grid = page.locator("[class*='st-key-mapping_columns_'] [data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)  # a cell of the first row
    selected = grid.locator("[role='gridcell'][aria-selected='true']")
    expect(selected).to_have_count(1)
    col, at = map(int, (selected.get_attribute("data-testid") or "").split("-")[-2:])  # glide-cell-COL-ROW
    for key, n in (("ArrowRight", 2 - col), ("ArrowDown", row - at)):
        for _ in range(n):
            page.keyboard.press(key)
    expect(grid.get_by_test_id(f"glide-cell-2-{row}")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.browser
def test_a_mapped_column_changed_on_the_data_page_changes_the_charts(server, page, tmp_path):
    upload = tmp_path / "worldbank.csv"
    upload.write_bytes(regional_file())
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(str(upload))
    expect(page.get_by_role("heading", name=EDITOR_HEADING)).to_be_visible()
    wait_for_app(page)
    page.get_by_role("heading", name=EDITOR_HEADING).scroll_into_view_if_needed()
    shot(page, "mapping-data-before")
    open_page(page, "Overview")
    expect(pillar_chart(page)).to_contain_text("Unassigned")  # no pillar column: the default

    open_page(page, "Data")
    choose_file_column(page, 2, "Region")  # rows: id, title, pillar
    expect(page.locator("[class*='st-key-mapping_columns_1']")).to_be_visible()  # read again: a new table
    wait_for_app(page)
    shot(page, "mapping-data-after")

    open_page(page, "Overview")
    chart = pillar_chart(page)
    for region in ("Africa", "East Asia and Pacific", "Latin America and"):  # the last label wraps
        expect(chart).to_contain_text(region)
    expect(chart).not_to_contain_text("Unassigned")
    shot(page, "mapping-edited-overview")

    open_page(page, "Data")  # the mapping saved is the one in view
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this mapping").click()
    saved = read_mapping(Path(download.value.path()).read_bytes())
    assert saved.source("pillar") == Source(column="Region")
