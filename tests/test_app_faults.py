"""Two faults of issue 16: a file none of whose rows is usable says so (not "no initiative matches these filters"),
and an upload's error never outlives it."""

from __future__ import annotations

import pytest

from conftest import csv_bytes, run, shown

PAGES_WITH_ROWS = ["overview", "status", "timeline", "themes", "explorer"]


@pytest.fixture
def no_usable_row(tmp_path, monkeypatch):
    path = tmp_path / "unusable.csv"
    path.write_bytes(
        csv_bytes(
            "A-1,Bad pillar,outer space,Policing,planned,2025-09-18,https://example.org/a",
            "A-2,Bad link,security,Policing,planned,2025-09-18,javascript:alert(1)",
        )
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))


@pytest.mark.parametrize("page", PAGES_WITH_ROWS)
def test_a_file_with_no_usable_row_says_so_and_links_to_the_report(no_usable_row, page):
    at = run(page)
    assert not at.exception
    said = " ".join(shown(w.value) for w in [*at.warning, *at.info])
    assert "The file loaded, but none of its rows is usable" in said
    assert "No initiatives match these filters" not in said
    links = at.get("page_link")
    assert any(link.proto.label == "See the validation report" and link.proto.page.endswith("data") for link in links)


def test_the_report_page_itself_shows_why(no_usable_row):
    at = run("data")
    assert not at.exception
    assert sorted(at.dataframe[0].value["Line"]) == [2, 3]


def test_a_filter_that_matches_nothing_still_says_so():
    at = run("explorer", q="zzz no such phrase")
    said = " ".join(i.value for i in at.info)
    assert "No initiatives match these filters" in said and "none of its rows" not in said


BROKEN = ("broken.csv", b"name,colour\nx,blue\n", "text/csv")
GOOD = (
    "mine.csv",
    csv_bytes("U-1,Uploaded one,security,Policing,completed,2026-01-01,https://example.org/u"),
    "text/csv",
)
OTHER = (
    "two.csv",
    csv_bytes(
        "U-1,One,security,Policing,planned,2026-01-01,https://example.org/u",
        "U-2,Two,security,Policing,planned,2026-01-01,https://example.org/v",
    ),
    "text/csv",
)


def summary(at) -> str:
    return next(m.value for m in at.markdown if "initiatives**" in m.value)


def errors(at) -> list[str]:
    return [shown(e.value) for e in at.error]


def test_a_successful_upload_clears_an_earlier_upload_s_error():
    at = run("data")
    at.file_uploader[0].set_value(BROKEN).run()
    assert len(errors(at)) == 1 and "Required column(s) missing" in errors(at)[0]
    at.file_uploader[0].set_value(GOOD).run()
    assert not at.exception
    assert errors(at) == [] and summary(at) == "**1 of 1 initiatives**"
    at.file_uploader[0].set_value(BROKEN).run()  # a failed upload keeps the last good one in view
    assert len(errors(at)) == 1 and summary(at) == "**1 of 1 initiatives**"
    at.file_uploader[0].set_value(OTHER).run()
    assert errors(at) == [] and summary(at) == "**2 of 2 initiatives**"
