"""Files of other shapes: the guessed mapping of their columns, how their statuses and dates are read, the
mapping file that carries it (``DASHBOARD_MAPPING``). Every sample file is written here."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from cmap_tracker import loader, report
from cmap_tracker.dates import DateOrder
from cmap_tracker.mapping import DEFAULT, Mapping, Source, guess, read_mapping, to_toml
from conftest import ROOT, csv_bytes, good, run, shown


def write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def load(data: bytes, **kw) -> report.LoadResult:
    result = loader.load(data, **kw)
    assert len(result.frame) + result.rejected_rows == result.rows_in_file  # nothing is lost
    return result


def sources(m: Mapping) -> dict[str, str]:
    """Contract column -> the file column that feeds it, a constant as '=value', or 'default'."""
    return {
        c: s.column if s.column is not None else "default" if s.is_default else f"={s.constant}" for c, s in m.columns
    }


# ------------------------------------------------------------------ the header guess

HEADER_SETS = {
    "world bank project list": (
        "Project Id,Region,Country,Project Status,Last Stage Reached Name,Project Name,Project Development Objective,"
        "Implementing Agency,Public Disclosure Date,Board Approval Date,Loan Effective Date,Project Closing Date,"
        "Current Project Cost,IBRD Commitment,Environmental Assessment Category,Sector 1,Sector 2,Theme 1,Borrower,"
        "Project URL",
        {
            "id": "Project Id",
            "title": "Project Name",
            "status": "Project Status",
            "start_date": "Board Approval Date",
            "end_date": "Project Closing Date",
            "sector": "Sector 1",
            "source_url": "Project URL",
            "description": "Project Development Objective",
            "pillar": "default",
        },
    ),
    "iati activity export": (
        "iati-identifier,reporting-org,title,description,activity-status-code,activity-status,start-planned,"
        "start-actual,end-planned,end-actual,participating-org (Implementing),recipient-country-code,sector,"
        "sector-code,total-Commitment,default-currency",
        {
            "id": "iati-identifier",
            "title": "title",
            "description": "description",
            "status": "activity-status",
            "start_date": "start-planned",
            "end_date": "end-planned",
            "sector": "sector",
            "pillar": "default",
            "source_url": "default",
        },
    ),
    "city capital projects": (
        "id,name,task_description,area,budgeted_amount,status,asset_type,fiscal_year,start_date,end_date,"
        "council_district",
        {
            "id": "id",
            "title": "name",
            "description": "task_description",
            "pillar": "area",
            "status": "status",
            "sector": "asset_type",
            "start_date": "start_date",
            "end_date": "end_date",
            "source_url": "default",
        },
    ),
    "government commitment tracker": (
        "Commitment,Department,Minister,Status,Date,Source,Notes",
        {
            "id": "default",
            "title": "Commitment",
            "sector": "Department",
            "status": "Status",
            "start_date": "Date",
            "source_url": "Source",
            "source_note": "Notes",
        },
    ),
    "french headers": (
        "Identifiant,Nom du projet,Pilier,Secteur,Statut,Date de début,Date de fin,Lien,Description",
        {
            "id": "Identifiant",
            "title": "Nom du projet",
            "pillar": "Pilier",
            "sector": "Secteur",
            "status": "Statut",
            "start_date": "Date de début",
            "end_date": "Date de fin",
            "source_url": "Lien",
            "description": "Description",
        },
    ),
    "spanish headers": (
        "Clave,Nombre del proyecto,Pilar,Sector,Estado,Fecha de inicio,Fecha de término,Enlace,Descripción",
        {
            "id": "Clave",
            "title": "Nombre del proyecto",
            "pillar": "Pilar",
            "sector": "Sector",
            "status": "Estado",
            "start_date": "Fecha de inicio",
            "end_date": "Fecha de término",
            "source_url": "Enlace",
            "description": "Descripción",
        },
    ),
}


@pytest.mark.parametrize("name", HEADER_SETS)
def test_the_guess_maps_real_world_headers(name):
    header, expected = HEADER_SETS[name]
    got = sources(guess(header.split(","), []))
    assert {c: got.get(c) for c in expected} == expected


def test_values_decide_between_a_link_column_and_a_note():
    header = ["Commitment", "Department", "Status", "Date", "Source"]
    as_text = guess(header, [["Cut fees", "Finance", "Done", "2024-01-05", "Budget 2024, p. 12"]] * 5)
    assert sources(as_text)["source_note"] == "Source" and sources(as_text)["source_url"] == "default"
    as_links = guess(header, [["Cut fees", "Finance", "Done", "2024-01-05", "https://budget.example.ca/p12"]] * 5)
    assert sources(as_links)["source_url"] == "Source" and "source_note" not in sources(as_links)


def test_a_column_of_links_or_dates_is_found_by_its_values():
    header = ["Ref", "Headline", "Pillar", "Sector", "Status", "When", "Web"]
    row = ["A-1", "Trade mission", "Prosperity", "Trade", "Active", "June 19, 2020", "https://example.org/a"]
    got = sources(guess(header, [row] * 4))
    assert got["start_date"] == "When" and got["source_url"] == "Web"


# ------------------------------------------------------------------ loading files of other shapes, with no manual step


MONTHS = ["January", "March", "June", "September", "November"]


def world_bank_file(rows: int = 60, bad: tuple[int, ...] = (12, 41)) -> bytes:
    """A World Bank project-list export: written dates, Active/Closed/Pipeline/Dropped; on the ``bad`` lines
    the board approval date is missing, as on pipeline projects."""
    header = HEADER_SETS["world bank project list"][0].split(",")
    statuses = ["Active", "Closed", "Pipeline", "Dropped"]
    out = []
    for k in range(rows):
        line = k + 2
        approval = "" if line in bad else f"{MONTHS[k % 5]} {1 + k % 28}, {2012 + k % 10}"
        closing = f"{MONTHS[(k + 2) % 5]} {1 + k % 27}, {2023 + k % 5}"
        pid = f"P{170000 + k}"
        values = {
            "Project Id": pid,
            "Region": "Latin America and Caribbean",
            "Country": "Mexico",
            "Project Status": statuses[k % 4],
            "Project Name": f"Project number {k}",
            "Board Approval Date": approval,
            "Project Closing Date": closing,
            "Sector 1": ["Water", "Energy", "Transport"][k % 3],
            "Current Project Cost": f"{(k + 1) * 1000000:,}",
            "Project URL": f"https://projects.worldbank.org/en/projects-operations/project-detail/{pid}",
        }
        out.append([values.get(h, "") for h in header])
    return write_csv(header, out)


def city_file(rows: int = 60, bad: tuple[int, ...] = (30,)) -> bytes:
    """A city's capital-projects list: month-first numeric dates; ``bad`` lines start 'TBD'."""
    header = HEADER_SETS["city capital projects"][0].split(",")
    out = []
    for k in range(rows):
        line = k + 2
        start = "TBD" if line in bad else f"{1 + k % 12:02d}/{1 + k % 28:02d}/{2020 + k % 5}"
        cells = [str(1000 + k), f"Rebuild site {k}", "Full rebuild", ["Facility Improvement", "Parks"][k % 2]]
        cells += ["250000", ["Planned", "In Progress", "Completed", "Canceled"][k % 4], ["Building", "Park"][k % 2]]
        cells += ["2024", start, "", str(1 + k % 9)]
        out.append(cells)
    return write_csv(header, out)


def rejected_lines(result: report.LoadResult, but_column: str | None = None) -> set[int]:
    issues = result.all_issues_frame()
    kept = issues[(issues["outcome"] == report.REJECTED) & (issues["column"] != but_column)]
    return set(kept["line"])


@pytest.mark.parametrize(
    "make,bad", [(world_bank_file, {12, 41}), (city_file, {30})], ids=["world bank", "city capital projects"]
)
def test_other_shapes_lose_no_row_but_to_their_own_faults(make, bad):
    """Whatever the pillars: the only rows rejected for another reason are the bad ones, each in the report."""
    result = load(make(), name="export.csv")
    assert result.ok and result.mapping is not None
    assert result.rows_in_file == 60
    assert rejected_lines(result, but_column="pillar") == bad


@pytest.mark.parametrize(
    "make,bad,pillars",
    [(world_bank_file, {12, 41}, ["Unassigned"]), (city_file, {30}, ["Facility Improvement", "Parks"])],
    ids=["world bank", "city capital projects"],
)
def test_other_shapes_load_with_no_manual_step(make, bad, pillars):
    """As the dashboard loads an upload: the guessed mapping, and the file's own pillars."""
    result = load(make(), name="export.csv", open_pillars=True)
    assert len(result.frame) >= 0.95 * result.rows_in_file
    assert rejected_lines(result) == bad
    assert result.plan is not None
    assert [result.plan.pillar_label(s) for s in result.plan.pillars.slugs] == pillars


def test_a_world_bank_file_reads_its_dates_and_statuses():
    """With a pillar column of known pillars, every good row is in the frame, dates and statuses read."""
    data = world_bank_file().replace(b"Country,", b"Pillar,", 1).replace(b",Mexico,", b",Prosperity,")
    result = load(data)
    assert len(result.frame) == 58 and rejected_lines(result) == {12, 41}
    first = result.frame.iloc[0]
    assert first["start_date"] == pd.Timestamp("2012-01-01") and first["end_date"] == pd.Timestamp("2023-06-01")
    by_id = result.frame.set_index("id")["status"].astype(str)
    assert [by_id[f"P{170000 + k}"] for k in range(4)] == ["in_progress", "completed", "planned", "cancelled"]


def test_a_file_with_no_link_column_names_itself_as_the_source(tmp_path):
    path = tmp_path / "commitments.csv"
    path.write_bytes(write_csv(["Ref", "Commitment", "Pillar", "Department", "Status", "Date"], [
        ["C-1", "Cut fees", "Prosperity", "Finance", "Completed", "2024-01-05"],
        ["C-2", "Open office", "Security", "Public Safety", "Not started", "2024-02-10"],
    ]))  # fmt: skip
    result = load(str(path))
    assert list(result.frame["id"]) == ["C-1", "C-2"] and result.rejected_rows == 0
    assert set(result.frame["source_url"]) == {"commitments.csv"}  # the name, not the server's directories
    assert sources(result.mapping)["source_url"] == "default"


def test_a_file_read_from_a_link_names_the_link_without_its_query():
    data = write_csv(
        ["Name", "Pillar", "Sector", "Status", "Start"], [["Fair", "Prosperity", "Trade", "Active", "2024"]]
    )
    result = load(data, name="https://data.example.org/exports/plan.csv?token=secret")
    assert list(result.frame["source_url"]) == ["https://data.example.org/exports/plan.csv"]
    assert list(result.frame["id"]) == ["2"]  # the line number


def test_a_file_that_follows_the_contract_is_read_as_it_is():
    result = load(csv_bytes(good("A-1"), good("A-2", start_date="15/01/2026")))
    assert result.mapping is None
    assert list(result.frame["id"]) == ["A-1"]  # the contract's dates only: 15/01/2026 is rejected as before


def test_an_unrelated_file_is_still_refused_with_the_missing_columns():
    assert "Required column(s) missing: id," in load(b"name,age\nAda,36\n").fatal.text()


# ------------------------------------------------------------------ values: statuses and dates

SHAPE = ["Ref", "Headline", "Pillar", "Sector", "Status", "Start", "Link"]


def shaped(*rows: tuple[str, str, str]) -> bytes:
    """A file of another shape: (id, status, start) per row, the rest valid."""
    return write_csv(SHAPE, [[i, "T", "Security", "Policing", s, d, "https://example.org/x"] for i, s, d in rows])


MAPPED = Mapping.of(
    {"id": Source(column="Ref"), "title": Source(column="Headline"), "start_date": Source(column="Start")}
)


def test_a_status_override_applies_before_the_vocabulary():
    data = shaped(("A", "Parked", "2024-01-01"), ("B", "Active", "2024-01-01"), ("C", "Closed", "2024-01-01"))
    plain = load(data, mapping=MAPPED)
    assert list(plain.frame["id"]) == ["B", "C"]  # 'Parked' is no known status
    assert "'Parked' is not a known status" in plain.issues[0].text()
    mapped = load(data, mapping=MAPPED.with_values("status", {"parked": "delayed", "Active": "planned"}))
    assert list(mapped.frame["status"].astype(str)) == ["delayed", "planned", "completed"]


@pytest.mark.parametrize(
    "order,read_as",
    [(DateOrder.AUTO, "2020-04-03"), (DateOrder.DAY_FIRST, "2020-04-03"), (DateOrder.MONTH_FIRST, "2020-03-04")],
)
def test_the_day_first_choice(order, read_as):
    data = shaped(("A", "Active", "03/04/2020"), ("B", "Active", "25/12/2020"))
    result = load(data, mapping=MAPPED.with_dates(order))
    dates = dict(zip(result.frame["id"], result.frame["start_date"]))
    assert dates == {"A": pd.Timestamp(read_as), "B": pd.Timestamp("2020-12-25")}  # no 25th month: not ambiguous


def test_automatic_order_is_month_first_when_no_value_says_otherwise():
    result = load(shaped(("A", "Active", "03/04/2020"), ("B", "Active", "12/31/2020")), mapping=MAPPED)
    assert list(result.frame["start_date"]) == [pd.Timestamp("2020-03-04"), pd.Timestamp("2020-12-31")]


def test_written_dates_are_read_and_what_is_not_a_date_is_reported():
    forms = ["June 19, 2020", "2020-06-19T00:00:00Z", "19 juin 2020", "19 de junio de 2020", "2020-06-19"]
    rows = [(f"D{k}", "Active", v) for k, v in enumerate(forms)] + [("X", "Active", "next year")]
    rows += [("M", "Active", "June 2020")]
    result = load(shaped(*rows), mapping=MAPPED)
    dates = dict(zip(result.frame["id"], result.frame["start_date"]))
    assert all(dates[f"D{k}"] == pd.Timestamp("2020-06-19") for k in range(len(forms)))
    assert dates["M"] == pd.Timestamp("2020-06-01")  # the start of the month, with a note
    assert [(i.line, i.kind) for i in result.issues] == [(7, report.REJECTED), (8, report.CORRECTED)]
    assert "'next year' is not a date" in result.issues[0].text()


# ------------------------------------------------------------------ the mapping file


def test_the_mapping_file_round_trips():
    mapping = Mapping.of(
        {
            "id": DEFAULT,
            "title": Source(column='Project "Name"\t#1'),
            "pillar": Source(constant="Énergie ✓"),
            "sector": Source(column="Sector 1"),
        },
        {"status": {"Active": "in_progress", "Abandonné\x7f": "cancelled"}},
        DateOrder.DAY_FIRST,
    )
    text = to_toml(mapping)
    assert read_mapping(text) == mapping
    assert read_mapping(text.encode()) == mapping
    world_bank = guess(HEADER_SETS["world bank project list"][0].split(","), [])
    assert read_mapping(to_toml(world_bank)) == world_bank


def test_a_short_mapping_file_maps_what_it_names():
    mapping = read_mapping('[columns]\ntitle = "Headline"\nstart_date = { column = "Start" }\n')
    result = load(shaped(("A", "Active", "2024-01-01")), mapping=mapping)
    assert list(result.frame["title"]) == ["T"]
    assert [result.mapping.source(c) for c in ("title", "start_date")] == [Source("Headline"), Source("Start")]
    assert result.mapping.source("id") == Source(column="Ref")  # a column it does not name: as guessed


@pytest.mark.parametrize(
    "text,says",
    [
        ("[columns\ntitle = 1", "not valid TOML"),
        ("[columns]\nbudget = 'Amount'", "'budget', which is not a column of the contract"),
        ("[columns]\ntitle = { column = 3 }", "'title' must name a file column, a constant or the default"),
        ("[columns]\ntitle = { default = true }", "'title' has no default"),
        ("columns = 3", "'columns' must be a table"),
        ("[values.sector]\nWater = 'x'", "Values can only be mapped for pillar, status, confidence, not 'sector'"),
        ("[values.status]\nActive = 1", "each value of 'status' must be mapped to a text"),
        ("[dates]\norder = 'sideways'", "must be one of: auto, day_first, month_first"),
        ("[plan]\nname = 'x'", "unknown section 'plan'"),
        (b"\xff\xfe[columns]", "not UTF-8"),
        ("#" * 300_000, "larger than 256 KB"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_what_is_wrong(text, says):
    with pytest.raises(report.LoadError) as caught:
        read_mapping(text)
    assert says in str(caught.value)


def test_a_mapping_that_names_a_column_the_file_lacks_is_a_file_error():
    result = load(shaped(("A", "Active", "2024-01-01")), mapping=MAPPED.with_source("sector", Source(column="Area")))
    assert "'Area', which this file does not have" in result.fatal.text()


# ------------------------------------------------------------------ DASHBOARD_MAPPING


def test_dashboard_mapping_applies_to_the_data_file(tmp_path, monkeypatch):
    data, mapping = tmp_path / "export.csv", tmp_path / "mapping.toml"
    data.write_bytes(shaped(("A", "Active", "19/06/2020"), ("B", "Closed", "25/12/2020")))
    monkeypatch.setenv("DASHBOARD_DATA", str(data))
    at = run("data")
    assert not at.exception and at.error  # 'Headline' and 'Start' are no names the guess knows
    mapping.write_text(to_toml(MAPPED), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_MAPPING", str(mapping))
    at = run("data")
    assert not at.exception and not at.error
    assert any(m.value == "**2 of 2 initiatives**" for m in at.markdown)


def test_a_bad_dashboard_mapping_is_a_clear_error(tmp_path, monkeypatch):
    data, mapping = tmp_path / "export.csv", tmp_path / "mapping.toml"
    data.write_bytes(shaped(("A", "Active", "2020-06-19")))
    mapping.write_text("[columns]\nbudget = 'Amount'\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_DATA", str(data))
    monkeypatch.setenv("DASHBOARD_MAPPING", str(mapping))
    at = run("overview")
    assert not at.exception
    assert [e.value for e in at.error] == ["The data file could not be used."]
    said = shown(" ".join(m.value for m in at.markdown))
    assert "The mapping names 'budget', which is not a column of the contract" in said


def test_the_readme_mapping_example_is_a_valid_mapping_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    mapping = read_mapping(example)
    assert mapping.source("title") == Source(column="Project Name") and mapping.dates is DateOrder.MONTH_FIRST
