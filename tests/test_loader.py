"""The loader's report as a user reads it: every bad row named by its CSV line
(header = line 1), its column and why; every file-level problem as a clear
message instead of a crash."""

from __future__ import annotations

import pandas as pd
import pytest

from cmap_tracker import contract, loader, report, themes
from conftest import HEADER, ROOT, URL, csv_bytes, good


def load(data) -> report.LoadResult:
    result = loader.load(data)
    # The loader's promise, checked on every case: every data row is either kept or rejected.
    assert len(result.frame) + result.rejected_rows == result.rows_in_file
    return result


def issues_at(result, line: int, column: str | None = "*") -> list[report.Issue]:
    return [i for i in result.issues if i.line == line and (column == "*" or i.column == column)]


def only_rejection(result, line: int, column: str | None) -> str:
    """The single rejection on ``line``/``column``; returns its text."""
    hits = [i for i in issues_at(result, line, column) if i.kind == report.REJECTED]
    assert len(hits) == 1, [(i.line, i.column, i.text()) for i in result.issues]
    return hits[0].text()


def kept_ids(result) -> list[str]:
    return result.frame["id"].tolist()


# ------------------------------------------------------------------ bad rows

REQUIRED_NONSTATUS = ["id", "title", "pillar", "sector", "start_date", "source_url"]


@pytest.fixture(scope="module")
def empty_required():
    """Line 2 is good; line 3+k has REQUIRED_NONSTATUS[k] empty; the last line is good."""
    rows = [good("A-0")] + [good(f"E-{k}", **{c: ""}) for k, c in enumerate(REQUIRED_NONSTATUS)] + [good("Z-9")]
    return load(csv_bytes(*rows))


@pytest.mark.parametrize("k,column", list(enumerate(REQUIRED_NONSTATUS)), ids=REQUIRED_NONSTATUS)
def test_empty_required_value_is_rejected_on_its_line(empty_required, k, column):
    texts = [i.text() for i in issues_at(empty_required, 3 + k, column) if i.kind == report.REJECTED]
    assert f"The required value '{column}' is empty." in texts
    assert kept_ids(empty_required) == ["A-0", "Z-9"]


BAD_IDS = ["AB 01", "<b>x</b>", "-lead", "é-1", "a/b", "x?y=1", "_x"]
SAFE_IDS = ["PR-TRADE-01", "a.b_c-1", "9x"]


@pytest.fixture(scope="module")
def id_cases():
    return load(csv_bytes(*[good(i) for i in BAD_IDS + SAFE_IDS]))


@pytest.mark.parametrize("k", range(len(BAD_IDS)), ids=BAD_IDS)
def test_id_with_unsafe_characters_is_rejected(id_cases, k):
    assert "may only use letters, digits" in only_rejection(id_cases, 2 + k, "id")


def test_id_with_safe_characters_is_kept(id_cases):
    assert kept_ids(id_cases) == SAFE_IDS
    assert not [i for i in id_cases.issues if i.line >= 2 + len(BAD_IDS)]


def test_duplicate_ids_every_later_copy_names_the_first_line():
    r = load(csv_bytes(good("A-1"), good("B-1"), good("A-1", title="Again"), good("B-2"), good("A-1", title="Third")))
    assert "already used on line 2" in only_rejection(r, 4, "id")
    assert "already used on line 2" in only_rejection(r, 6, "id")
    assert not issues_at(r, 2)
    assert kept_ids(r) == ["A-1", "B-1", "B-2"]
    assert r.frame.loc[r.frame["id"] == "A-1", "title"].item() == "Title"


def test_unknown_pillar_is_rejected_with_allowed_values():
    r = load(csv_bytes(good("A-1", pillar="Defence"), good("A-2")))
    text = only_rejection(r, 2, "pillar")
    assert "'Defence' is not a known pillar" in text
    assert "prosperity, mobility, security, environment" in text


def test_unknown_status_is_rejected_with_allowed_values():
    r = load(csv_bytes(good("A-1"), good("A-2", status="stalled")))
    text = only_rejection(r, 3, "status")
    assert "'stalled' is not a known status" in text and "in_progress" in text


BAD_DATES = [
    ("start_date", "2026-02-30"),
    ("start_date", "next year"),
    ("start_date", "15/01/2026"),
    ("start_date", "2026-13"),
    ("end_date", "2027-02-29"),
    ("end_date", "soon"),
]


@pytest.fixture(scope="module")
def date_cases():
    rows = []
    for k, (column, bad) in enumerate(BAD_DATES):
        start, end = (bad, "") if column == "start_date" else ("2026-01-15", bad)
        rows.append(good(f"D-{k}", start_date=start) + "," + end)
    rows.append(good("OK-1") + ",2026-12-31")
    return load(csv_bytes(*rows, header=HEADER + ",end_date"))


@pytest.mark.parametrize("k", range(len(BAD_DATES)), ids=[b for _, b in BAD_DATES])
def test_bad_date_is_rejected(date_cases, k):
    column, bad = BAD_DATES[k]
    text = only_rejection(date_cases, 2 + k, column)
    assert f"'{bad}' is not a date" in text and "YYYY-MM-DD" in text
    assert kept_ids(date_cases) == ["OK-1"]


@pytest.mark.parametrize("raw,read_as", [("2026-03", "2026-03-01"), ("2027", "2027-01-01")])
def test_partial_dates_are_kept_as_first_day_with_a_correction(raw, read_as):
    r = load(csv_bytes(good("A-1", start_date=raw)))
    assert kept_ids(r) == ["A-1"]
    assert r.frame["start_date"].iloc[0] == pd.Timestamp(read_as)
    (note,) = issues_at(r, 2, "start_date")
    assert note.kind == report.CORRECTED
    assert f"read as {read_as}" in note.text()
    assert r.corrected_rows == 1 and r.rejected_rows == 0


def test_end_before_start_is_rejected():
    header = HEADER + ",end_date"
    r = load(csv_bytes(good("A-1") + ",2025-12-31", good("A-2") + ",2026-01-15", header=header))
    text = only_rejection(r, 2, "end_date")
    assert "end date 2025-12-31 is before the start date 2026-01-15" in text
    assert kept_ids(r) == ["A-2"]  # same-day start and end is fine


BAD_URLS = [
    "javascript:alert(1)",
    '"data:text/html,<script>alert(1)</script>"',
    "ftp://example.org/file.csv",
    "www.example.org",
    "https://",
    "JAVASCRIPT://example.org/%0aalert(1)",
    "mailto:a@example.org",
]
GOOD_URLS = ["http://example.org", "https://www.canada.ca/en/news.html?x=1#y", "HTTPS://EXAMPLE.ORG/A"]


@pytest.fixture(scope="module")
def url_cases():
    return load(csv_bytes(*[good(f"U-{k}", source_url=u) for k, u in enumerate(BAD_URLS + GOOD_URLS)]))


@pytest.mark.parametrize("k", range(len(BAD_URLS)), ids=BAD_URLS)
def test_non_web_source_url_is_rejected(url_cases, k):
    text = only_rejection(url_cases, 2 + k, "source_url")
    assert "must be a web address starting with http:// or https://" in text


def test_http_and_https_urls_are_kept(url_cases):
    assert url_cases.frame["source_url"].tolist() == GOOD_URLS
    assert url_cases.rejected_rows == len(BAD_URLS)


def test_empty_source_url_is_rejected_as_required():
    r = load(csv_bytes(good("A-1", source_url="")))
    assert "required value 'source_url' is empty" in only_rejection(r, 2, "source_url")


def test_empty_row_is_one_rejection_on_its_line():
    r = load(csv_bytes(good("A-1"), ",,,,,,", good("A-2")))
    hits = issues_at(r, 3)
    assert [(i.kind, i.column) for i in hits] == [(report.REJECTED, None)]
    assert "row is empty" in hits[0].text()
    assert kept_ids(r) == ["A-1", "A-2"] and r.rows_in_file == 3


def test_row_with_too_many_fields_is_rejected_with_counts():
    r = load(csv_bytes(good("A-1"), good("A-2") + ",extra,more", good("A-3")))
    assert "has 9 fields but the header has 7" in only_rejection(r, 3, None)
    assert kept_ids(r) == ["A-1", "A-3"]


def test_trailing_empty_fields_are_tolerated():
    r = load(csv_bytes(good("A-1") + ",,", good("A-2")))
    assert kept_ids(r) == ["A-1", "A-2"] and not r.issues


def test_short_row_is_padded_and_reports_missing_values():
    r = load(csv_bytes("A-1,Title,security", good("A-2")))
    assert "required value 'sector' is empty" in only_rejection(r, 2, "sector")
    assert kept_ids(r) == ["A-2"]


def test_quoted_newlines_shift_later_line_numbers():
    r = load(
        csv_bytes(
            good("A-1", title='"Two\nline title"'),
            good("A-2", title='"Three\nline\ntitle"'),
            good("A-3", pillar="bogus"),
        )
    )
    # header 1; A-1 spans 2-3; A-2 spans 4-6; A-3 is on line 7
    assert "not a known pillar" in only_rejection(r, 7, "pillar")
    assert r.frame["line"].tolist() == [2, 4]
    assert r.frame["title"].iloc[0] == "Two\nline title"


def test_blank_lines_are_skipped_but_counted_in_line_numbers():
    r = load(csv_bytes(good("A-1"), "", "", good("A-2", status="stalled"), "", good("A-3")))
    assert "not a known status" in only_rejection(r, 5, "status")
    assert r.frame["line"].tolist() == [2, 7]
    assert r.rows_in_file == 3


def test_crlf_line_endings():
    data = csv_bytes(good("A-1"), good("A-2", pillar="bogus"), good("A-3")).replace(b"\n", b"\r\n")
    r = load(data)
    only_rejection(r, 3, "pillar")
    assert kept_ids(r) == ["A-1", "A-3"]
    assert r.frame["source_url"].tolist() == [URL, URL]  # no stray '\r'


def test_utf8_bom_is_not_part_of_the_first_column_name():
    data = b"\xef\xbb\xbf" + csv_bytes(good("A-1", pillar="Sécurité", title="Café"))
    r = load(data)
    assert r.ok and kept_ids(r) == ["A-1"]
    assert r.frame["pillar"].tolist() == ["security"] and r.frame["title"].tolist() == ["Café"]
    assert r.extra_columns == ()


def test_windows_1252_bytes_are_decoded_and_noted():
    data = csv_bytes(good("A-1", pillar="Sécurité", title="Coopération énergétique")).decode().encode("cp1252")
    r = load(data)
    assert r.frame["pillar"].tolist() == ["security"]
    assert r.frame["title"].tolist() == ["Coopération énergétique"]
    assert any("Windows-1252" in n.text() for n in r.notes)


def test_plain_utf8_has_no_encoding_note():
    r = load(csv_bytes(good("A-1", title="Coopération")))
    assert not any("read as" in n.text() for n in r.notes)


@pytest.mark.parametrize("sep,named", [(";", "';'"), ("\t", "tab")])
def test_other_delimiters_are_detected_and_noted(sep, named):
    rows = [good("A-1", title="Trade, energy and more"), good("A-2", pillar="bogus")]
    text = (
        "\n".join(
            [
                HEADER.replace(",", sep),
                *[r.replace(",", sep).replace(f"Trade{sep} energy", "Trade, energy") for r in rows],
            ]
        )
        + "\n"
    )
    r = load(text.encode())
    assert r.frame["title"].tolist() == ["Trade, energy and more"]
    only_rejection(r, 3, "pillar")
    assert any(named in n.text() for n in r.notes)


def test_whitespace_around_values_and_header_names_is_ignored():
    header = " ID , Title ,Pillar,  sector,STATUS,Start Date,source-url "
    r = load(csv_bytes("  A-1 ,  Title  , security ,Policing ,  done , 2026-01-15 ,  " + URL + "  ", header=header))
    assert r.ok and not r.issues
    row = r.frame.iloc[0]
    assert (row["id"], row["title"], row["pillar"], row["status"], row["source_url"]) == (
        "A-1",
        "Title",
        "security",
        "completed",
        URL,
    )
    assert row["start_date"] == pd.Timestamp("2026-01-15")


def test_extra_columns_are_kept():
    r = load(csv_bytes(good("A-1") + ",Budget 5M,yes", header=HEADER + ",Funding Note,reviewed"))
    assert set(r.extra_columns) == {"funding_note", "reviewed"}
    assert r.frame["funding_note"].tolist() == ["Budget 5M"]
    assert r.frame["reviewed"].tolist() == ["yes"]


MILESTONE_WORDS = [
    ("true", True),
    ("YES", True),
    ("x", True),
    ("oui", True),
    ("1", True),
    ("", False),
    ("no", False),
    ("faux", False),
    ("FALSE", False),
]


def test_milestone_words():
    r = load(
        csv_bytes(*[good(f"M-{k}") + "," + w for k, (w, _) in enumerate(MILESTONE_WORDS)], header=HEADER + ",milestone")
    )
    assert r.frame["milestone"].tolist() == [v for _, v in MILESTONE_WORDS]
    assert not r.issues


def test_unreadable_milestone_is_false_with_a_correction():
    r = load(csv_bytes(good("A-1") + ",maybe", header=HEADER + ",milestone"))
    assert r.frame["milestone"].tolist() == [False]
    (note,) = issues_at(r, 2, "milestone")
    assert note.kind == report.CORRECTED and "'maybe' is not true or false" in note.text()


def test_milestone_accented_spanish_yes():
    r = load(csv_bytes(good("A-1") + ",Sí", header=HEADER + ",milestone"))
    assert r.frame["milestone"].tolist() == [True] and not r.issues


def test_unknown_confidence_and_bad_last_updated_are_corrected_not_rejected():
    r = load(csv_bytes(good("A-1") + ",rumour,2026-99-01", header=HEADER + ",confidence,last_updated"))
    assert kept_ids(r) == ["A-1"]
    assert r.frame["confidence"].tolist() == [""]
    assert r.frame["last_updated"].isna().all()
    kinds = {(i.column, i.kind) for i in issues_at(r, 2)}
    assert kinds == {("confidence", report.CORRECTED), ("last_updated", report.CORRECTED)}


def test_many_problems_on_one_row_count_once():
    r = load(csv_bytes(good("a b", pillar="x", status="y", source_url="ftp://e.org"), good("A-2")))
    assert len([i for i in issues_at(r, 2) if i.kind == report.REJECTED]) == 4
    assert r.rejected_rows == 1 and r.rows_in_file == 2


def test_repeated_header_is_a_file_error_without_blank_lines():
    r = load(csv_bytes(good("A-1") + ",Other", header=HEADER + ",title"))
    assert r.fatal is not None and "repeats the column(s): title" in r.fatal.text()


def test_repeated_header_is_a_file_error_on_careful_path():
    # the blank line sends the file down the csv-module path, which does report it
    r = load(csv_bytes(good("A-1") + ",Other", "", header=HEADER + ",title"))
    assert r.fatal is not None and "repeats the column(s): title" in r.fatal.text()


def test_header_names_that_differ_only_in_case_or_spacing_repeat():
    r = load(csv_bytes(good("A-1") + ",Other", header=HEADER + ", Title "))
    assert r.fatal is not None and "repeats the column(s): title" in r.fatal.text()


def test_unclosed_quote_is_reported_as_a_csv_problem():
    r = load(csv_bytes(good("A-1"), good("A-2", title='"Broken title'), good("A-3"), good("A-4")))
    texts = [i.text() for i in issues_at(r, 3)]
    assert any("quote" in t.lower() or "could not be read as CSV" in t for t in texts), texts
    assert set(r.frame["id"]) == {"A-1", "A-3", "A-4"}  # reading resumes after the broken line


def test_many_broken_quotes_load_in_linear_time(monkeypatch):
    """Counts the characters the CSV readers pull rather than timing, so it cannot flake."""
    import csv as _csv

    fed = [0]
    real_reader = _csv.reader

    def counting_reader(source, *args, **kwargs):
        if isinstance(source, str):
            source = [source]
        elif hasattr(source, "read"):
            source = source.read().splitlines(keepends=True)

        def counted():
            for line in source:
                fed[0] += len(line)
                yield line

        return real_reader(counted(), *args, **kwargs)

    monkeypatch.setattr(loader.csv, "reader", counting_reader)
    n = 4000  # re-reading to the end after each broken line would read the file ~n/2 = 2000 times
    rows = [f'B-{i},"Broken,security,S,done,2026-01-01,{URL}' for i in range(n)]
    data = csv_bytes(*rows, good("A-1"))
    r = load(data)
    assert r.rejected_rows == n and kept_ids(r) == ["A-1"]
    assert fed[0] <= 100 * len(data), f"read {fed[0] / len(data):.0f}x the file's size"


def test_row_outcome_does_not_depend_on_an_unrelated_blank_line():
    rows = [good("A-1", title='"Title" extra'), good("A-2")]
    fast = load(csv_bytes(*rows))
    careful = load(csv_bytes(rows[0], "", rows[1]))
    assert kept_ids(careful) == kept_ids(fast)
    assert careful.frame["title"].tolist() == fast.frame["title"].tolist()


# ------------------------------------------------------------------ file-level errors


def fatal_text(result) -> str:
    assert result.fatal is not None
    assert result.frame.empty and result.rows_in_file == 0
    return result.fatal.text()


@pytest.mark.parametrize("data", [b"", b"   \n\n \r\n"])
def test_empty_file(data):
    assert "empty" in fatal_text(load(data))


def test_header_only():
    text = fatal_text(load(csv_bytes()))
    assert "header but no rows" in text and "source_url" in text


def test_header_and_blank_lines_only():
    assert "header but no rows" in fatal_text(load(csv_bytes("", "")))


def test_binary_file():
    assert "looks binary" in fatal_text(load(b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 4))


def test_missing_required_columns_names_them_and_the_expected_set():
    text = fatal_text(load(csv_bytes("A-1,Title,2026-01-01", header="id,title,start_date")))
    assert "missing: pillar, sector, status, source_url." in text
    assert "Expected at least: " + ", ".join(contract.REQUIRED) in text


def test_unrelated_csv_is_a_file_error():
    text = fatal_text(load(b"name,age\nAda,36\n"))
    assert "Required column(s) missing: id," in text


def test_path_that_does_not_exist():
    missing = ROOT / "data" / "no-such-file.csv"
    text = fatal_text(loader.load(str(missing)))
    assert "does not exist" in text and "no-such-file.csv" in text


def test_directory_is_not_a_data_file():
    assert fatal_text(loader.load(ROOT / "data")).endswith("data is a directory, not a file.")


@pytest.mark.parametrize("url", ["ftp://example.org/data.csv", "file:///etc/passwd"])
def test_non_http_url_is_refused(url):
    text = fatal_text(loader.load(url))
    assert "Only http:// and https://" in text and url in text


def test_unreachable_url_is_a_file_error():
    text = fatal_text(loader.load("http://127.0.0.1:9/data.csv"))
    assert "Could not download http://127.0.0.1:9/data.csv" in text


def test_upload_over_the_limit_is_refused():
    big = csv_bytes(good("A-1")) + b"x" * contract.MAX_UPLOAD_BYTES
    text = fatal_text(load(big))
    assert f"larger than the {contract.MAX_UPLOAD_MB} MB limit" in text


def test_upload_limit_boundary_is_inclusive():
    data = csv_bytes(good("A-1"))
    assert kept_ids(load_limited(data, len(data))) == ["A-1"]
    assert "larger than" in fatal_text(load_limited(data, len(data) - 1))


def load_limited(data: bytes, limit: int) -> report.LoadResult:
    result = loader.load(data, limit=limit)
    assert len(result.frame) + result.rejected_rows == result.rows_in_file
    return result


def test_local_file_is_loaded_from_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_bytes(csv_bytes(good("A-1"), good("A-2", pillar="bogus")))
    r = loader.load(path)
    assert r.ok and kept_ids(r) == ["A-1"] and r.rejected_rows == 1 and r.source == str(path)


def test_issues_frame_is_sorted_by_line():
    r = load(csv_bytes(good("A-1", status="stalled"), good("A-2", pillar="Defence"), good("A-3", title="")))
    table = r.issues_frame()
    assert table["line"].tolist() == [2, 3, 4]
    assert table["column"].tolist() == ["status", "pillar", "title"]
    assert set(table["outcome"]) == {report.REJECTED}


# ------------------------------------------------------------------ theme index


def test_theme_index_has_one_row_per_theme():
    header = HEADER + ",themes"
    r = load(csv_bytes(good("A-1") + ",ip;energy;security", good("A-2") + ",", good("A-3") + ",Energy", header=header))
    idx = themes.theme_index(r.frame)
    pairs = sorted((r.frame["id"].iat[row], theme) for row, theme in zip(idx["row"], idx["theme"]))
    assert pairs == [("A-1", "energy"), ("A-1", "ip"), ("A-1", "security"), ("A-3", "energy")]
