"""The bundled data/initiatives.csv: what a visitor sees on first load."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pandas as pd
import pytest

from cmap_tracker import loader
from cmap_tracker.plan import bundled
from cmap_tracker.vocab import CONFIDENCE, STATUSES
from conftest import DATA

PILLARS = bundled().pillars


@pytest.fixture(scope="module")
def result():
    return loader.load(DATA, limit=None)


@pytest.fixture(scope="module")
def df(result):
    return result.frame


@pytest.fixture(scope="module")
def raw_cells():
    """Every cell as written in the file (before any stripping), with its column name."""
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    return [(header[j], cell) for r in rows[1:] for j, cell in enumerate(r)]


def test_loads_cleanly(result):
    assert result.ok, result.fatal and result.fatal.text()
    problems = [(i.line, i.column, i.text()) for i in result.issues]
    assert result.rejected_rows == 0, problems
    assert len(result.frame) == result.rows_in_file
    # The only corrections allowed are documented partial dates (YYYY-MM, YYYY).
    others = [p for p, i in zip(problems, result.issues) if "the start of that period" not in i.reason]
    assert others == []
    assert result.notes == []  # plain UTF-8, comma-separated
    assert result.extra_columns == ()


def test_has_enough_rows_in_every_pillar(df):
    assert len(df) >= 40
    per_pillar = df["pillar"].value_counts()
    for p in PILLARS.slugs:
        assert per_pillar.get(p, 0) >= 5, (p, per_pillar.to_dict())


def test_every_row_has_a_web_source_and_a_confidence(df):
    assert df["source_url"].str.fullmatch(r"https?://\S+").all()
    assert set(df["confidence"]) <= set(CONFIDENCE.slugs)
    assert (df["confidence"] != "").all(), df.loc[df["confidence"] == "", "id"].tolist()


@pytest.mark.parametrize("theme", ["ip", "energy", "security"])
def test_key_themes_are_covered(df, theme):
    with_theme = df["themes"].str.split(";").map(lambda ts: theme in ts)
    assert with_theme.sum() >= 4


def test_ids_are_unique_and_well_formed(df):
    assert df["id"].is_unique
    bad = [i for i in df["id"] if not re.fullmatch(r"[A-Z]{2}-[A-Z]{2,6}-\d{2}", i)]
    assert bad == []


def test_id_prefix_matches_pillar(df):
    prefix = {"prosperity": "PR", "mobility": "MO", "security": "SE", "environment": "EN"}
    wrong = [(i, p) for i, p in zip(df["id"], df["pillar"].astype(str)) if not i.startswith(prefix[p] + "-")]
    assert wrong == []


@pytest.mark.parametrize("column", ["title_fr", "title_es"])
def test_titles_are_translated(df, column):
    missing = df.loc[df[column].str.strip() == "", "id"].tolist()
    assert missing == []
    same = df.loc[df[column] == df["title"], "id"].tolist()
    assert len(same) <= 2, f"{column} copied from English for {same}"


def test_no_cell_could_run_as_a_spreadsheet_formula(raw_cells):
    risky = [(col, cell[:40]) for col, cell in raw_cells if cell[:1] in ("=", "+", "-", "@")]
    assert risky == []


def test_no_cell_has_stray_whitespace(raw_cells):
    stray = [(col, cell[:40]) for col, cell in raw_cells if cell != cell.strip()]
    assert stray == []


def test_dates_are_in_order(df):
    backwards = df.loc[df["end_date"].notna() & (df["end_date"] < df["start_date"]), "id"].tolist()
    assert backwards == []


def test_statuses_are_from_the_vocabulary(df):
    assert set(df["status"].astype(str)) <= set(STATUSES.slugs)
    assert df["status"].notna().all()


def test_nothing_completed_before_it_started(df):
    today = pd.Timestamp(date.today())
    future_done = df.loc[(df["status"] == "completed") & (df["start_date"] > today), "id"].tolist()
    assert future_done == []


def test_last_updated_is_set_and_not_in_the_future(df):
    assert df["last_updated"].notna().all()
    assert (df["last_updated"] <= pd.Timestamp(date.today())).all()


def test_file_is_plain_utf8_without_bom():
    data = DATA.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")  # raises if not UTF-8
    assert b"\r" not in data
    assert next(csv.reader(io.StringIO(data.decode().split("\n", 1)[0])))[:7] == [
        "id",
        "title",
        "pillar",
        "sector",
        "status",
        "start_date",
        "end_date",
    ]
