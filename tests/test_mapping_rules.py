"""How a file of another shape is read, file-wide: one order for its ambiguous dates (and a note saying which),
a mapping that names some columns laid over the guess for the others, the status words of common exports, and
a mapping file that cannot be parsed."""

from __future__ import annotations

import pandas as pd
import pytest
from test_mapping import city_file, write_csv

from cmap_tracker import loader, report
from cmap_tracker.dates import DateOrder
from cmap_tracker.mapping import read_mapping

SPANISH = ["Clave", "Nombre del proyecto", "Pilar", "Sector", "Estado", "Fecha de inicio", "Fecha de término", "Enlace"]


def spanish(*rows: tuple[str, str, str]) -> bytes:
    """A Spanish-headed file: (id, start, end) per row, the rest valid."""
    return write_csv(
        SPANISH, [[i, "Feria", "Prosperidad", "Comercio", "En curso", s, e, "https://e.org/x"] for i, s, e in rows]
    )


def load(data: bytes, **kw) -> report.LoadResult:
    result = loader.load(data, **kw)
    assert len(result.frame) + result.rejected_rows == result.rows_in_file
    return result


def notes(result: report.LoadResult) -> list[str]:
    return [n.text() for n in result.notes]


# ------------------------------------------------------------------ one date order per file


def test_a_row_never_mixes_two_date_orders():
    """01/10/2025 alone could be 10 January; 15/01/2026 in another column says the file is day first."""
    result = load(spanish(("A", "01/10/2025", "15/01/2026")))
    row = result.frame.iloc[0]
    assert (row["start_date"], row["end_date"]) == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-15"))
    assert notes(result) == [
        "Dates such as 01/10/2025 were read day first, as 2025-10-01: "
        "other dates in this file start with a day over 12."
    ]


def test_a_file_with_no_day_over_12_is_read_month_first_and_says_so():
    result = load(spanish(("A", "01/10/2025", "02/11/2026")))
    row = result.frame.iloc[0]
    assert (row["start_date"], row["end_date"]) == (pd.Timestamp("2025-01-10"), pd.Timestamp("2026-02-11"))
    [note] = notes(result)
    assert note.startswith("Dates such as 01/10/2025 were read month first, as 2025-01-10:")


@pytest.mark.parametrize("start", ["13/10/2025", "2025-10-01", "October 1, 2025", "01/01/2025"])
def test_no_note_when_no_date_could_be_read_two_ways(start):
    result = load(spanish(("A", start, "")))
    assert result.rejected_rows == 0 and notes(result) == []


# ------------------------------------------------------------------ a mapping laid over the guess


def test_a_mapping_that_names_one_value_keeps_the_guess_for_every_column():
    """The city export loads 59 of 60 rows unmapped; a mapping of one status loses none of them."""
    data = city_file().replace(b",In Progress,", b",Active,")
    mapping = read_mapping('[values.status]\n"Active" = "in_progress"\n')
    plain, mapped = load(data, open_pillars=True), load(data, mapping=mapping, open_pillars=True)
    assert (len(plain.frame), len(mapped.frame)) == (59, 59)
    assert mapped.mapping.source("title").column == "name" and mapped.mapping.overrides("status") == {
        "Active": "in_progress"
    }
    assert (mapped.frame["status"].astype(str) == "in_progress").sum() == 15


def test_a_column_the_mapping_names_is_taken_from_the_guess():
    """'name' feeds title as guessed; the mapping says 'task_description' does, so 'name' feeds nothing."""
    mapping = read_mapping('[columns]\ntitle = "task_description"\n')
    result = load(city_file(), mapping=mapping, open_pillars=True)
    assert result.mapping.source("title").column == "task_description"
    assert result.mapping.source("description") is None
    assert set(result.frame["title"]) == {"Full rebuild"} and len(result.frame) == 59


def test_an_order_the_mapping_sets_is_kept_without_a_note():
    mapping = read_mapping('[dates]\norder = "month_first"\n')
    result = load(spanish(("A", "01/10/2025", "12/01/2026")), mapping=mapping)
    assert result.mapping.dates is DateOrder.MONTH_FIRST
    row = result.frame.iloc[0]
    assert (row["start_date"], row["end_date"]) == (pd.Timestamp("2025-01-10"), pd.Timestamp("2026-12-01"))
    assert notes(result) == []


# ------------------------------------------------------------------ the status words of common exports

EXPORT_STATUSES = {
    "Pipeline/identification": "planned",  # IATI's six activity statuses
    "Implementation": "in_progress",
    "Finalisation": "completed",
    "Closed": "completed",
    "Cancelled": "cancelled",
    "Suspended": "delayed",
    "On Hold": "delayed",  # and other trackers' common words
    "Deferred": "delayed",
    "Approved": "planned",
    "Terminated": "cancelled",
    "Design": "in_progress",
    "Construction": "in_progress",
}


def test_the_statuses_of_common_exports_are_read():
    header = ["iati-identifier", "title", "activity-status", "start-planned", "sector"]
    rows = [[f"XM-1-{k}", f"Activity {k}", word, "2020-01-15", "Water"] for k, word in enumerate(EXPORT_STATUSES)]
    result = load(write_csv(header, rows), open_pillars=True)
    assert result.rejected_rows == 0
    assert dict(zip(EXPORT_STATUSES, result.frame["status"].astype(str))) == EXPORT_STATUSES


def test_a_number_is_no_status():
    header = ["iati-identifier", "title", "activity-status", "start-planned", "sector"]
    result = load(write_csv(header, [["XM-1-1", "Activity", "2", "2020-01-15", "Water"]]), open_pillars=True)
    assert result.rejected_rows == 1 and "'2' is not a known status" in result.issues[0].text()


# ------------------------------------------------------------------ a mapping file that cannot be parsed


@pytest.mark.parametrize(
    "text",
    ["x = " + "[" * 100_000 + "]" * 100_000, "[columns]\ntitle = " + "[" * 100_000, "x = " + "{a = " * 40_000 + "1"],
    ids=["arrays", "unclosed arrays", "inline tables"],
)
def test_a_deeply_nested_mapping_file_is_refused_with_a_message(text):
    with pytest.raises(report.LoadError) as caught:
        read_mapping(text)
    assert str(caught.value) == "The mapping file nests arrays or tables too deeply to be read."
