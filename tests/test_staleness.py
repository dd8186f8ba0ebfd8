"""Initiatives not checked recently: marked "not checked since DATE" in the Explorer and on the detail card, and
listed on the Data page; counted from a given day."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from cmap_tracker import dataset, loader, metrics, tables
from conftest import run, shown

HEADER = "id,title,pillar,sector,status,start_date,source_url,last_updated"


def rows(today: date) -> bytes:
    fresh = (today - timedelta(days=3)).isoformat()
    lines = [
        HEADER,
        f"OLD-1,Checked long ago,security,Policing,planned,2025-01-01,https://example.org/1,{today - timedelta(days=200)}",
        f"EDGE-1,Checked exactly 120 days ago,security,Policing,planned,2025-01-01,https://example.org/2,{today - timedelta(days=120)}",
        f"NEW-1,Checked this week,security,Policing,planned,2025-01-01,https://example.org/3,{fresh}",
        "NONE-1,Never dated,security,Policing,planned,2025-01-01,https://example.org/4,",
    ]
    return ("\n".join(lines) + "\n").encode()


def test_stale_rows_with_a_fixed_today():
    today = date(2026, 6, 1)
    ds = dataset.build(loader.load(rows(today), name="x.csv"))
    assert metrics.stale_before(today) == date(2026, 2, 1)
    assert metrics.stale(ds.view, today)["id"].tolist() == ["OLD-1"]  # 121+ days; the 120-day one is not yet
    assert metrics.stale(ds.view, today, 100)["id"].tolist() == ["OLD-1", "EDGE-1"]
    assert metrics.stale(ds.view, date(2027, 1, 1))["id"].tolist() == ["OLD-1", "EDGE-1", "NEW-1"]  # never NONE-1


def test_the_table_marks_only_stale_rows_with_their_date():
    today = date(2026, 6, 1)
    ds = dataset.build(loader.load(rows(today), name="x.csv"))
    table = tables.display_frame(ds.view, metrics.stale_before(today))
    marks = dict(zip(table["id"], table["Not checked since"]))
    assert marks["OLD-1"] == pd.Timestamp(today - timedelta(days=200))
    assert all(pd.isna(marks[i]) for i in ("EDGE-1", "NEW-1", "NONE-1"))
    assert "Not checked since" not in tables.display_frame(ds.view, metrics.stale_before(date(2026, 1, 1)))
    assert "Not checked since" not in tables.display_frame(ds.view)


def listed(at) -> list[str]:
    """The ids the Data page lists as not checked recently (its one table with that column)."""
    (table,) = [t.value for t in at.dataframe if "Not checked since" in t.value.columns]
    return table["id"].tolist()


def test_the_app_marks_and_lists_stale_initiatives(tmp_path, monkeypatch):
    path = tmp_path / "stale.csv"
    path.write_bytes(rows(date.today()))
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = run("explorer", id="OLD-1")
    assert not at.exception
    table = at.dataframe[0].value
    assert table.set_index("id")["Not checked since"].notna().to_dict() == {
        "OLD-1": True,
        "EDGE-1": False,
        "NEW-1": False,
        "NONE-1": False,
    }
    assert any(shown(w.value).startswith("Not checked since ") for w in at.warning)  # the detail card
    at = run("explorer", id="NEW-1")
    assert not any("Not checked since" in w.value for w in at.warning)
    at = run("data")
    assert "more than 120 days before" in " ".join(shown(c.value) for c in at.caption)
    assert listed(at) == ["OLD-1"]


def test_the_age_is_configurable(tmp_path, monkeypatch):
    path = tmp_path / "stale.csv"
    path.write_bytes(rows(date.today()))
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    monkeypatch.setenv("DASHBOARD_STALE_DAYS", "100")
    at = run("data")
    assert "more than 100 days before" in " ".join(shown(c.value) for c in at.caption)
    assert listed(at) == ["OLD-1", "EDGE-1"]
    monkeypatch.setenv("DASHBOARD_STALE_DAYS", "soon")  # not a number of days: the default
    at = run("data")
    assert listed(at) == ["OLD-1"]


def test_a_views_table_is_the_table_of_its_rows_alone():
    """The table of a filtered view is taken from the whole file's table: it must read exactly as the rows' own
    table would, with the "not checked since" column only when a row in view has one, in every language."""
    from cmap_tracker import i18n

    today = date(2026, 6, 1)
    ds = dataset.build(loader.load(rows(today), name="x.csv"))
    before = metrics.stale_before(today)
    for lang in ("en", "fr", "es"):
        i18n.set_language(lang)
        for ids in (["OLD-1", "NONE-1"], ["NEW-1", "NONE-1"], ["EDGE-1"]):
            view = ds.view[ds.view["id"].isin(ids)]
            taken = tables.display_table(ds.view, view, before).to_pandas()
            alone = tables.display_frame(view, before)
            assert taken.columns.tolist() == alone.columns.tolist(), (lang, ids)
            assert taken.astype(str).values.tolist() == alone.astype(str).values.tolist(), (lang, ids)
