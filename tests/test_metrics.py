"""The numbers on the cards and behind every chart."""

from __future__ import annotations

from datetime import date

import pytest

from cmap_tracker import dataset, loader, metrics
from cmap_tracker.filters import Filters
from conftest import csv_bytes

TODAY = date(2026, 5, 1)
HEADER = "id,title,pillar,sector,status,start_date,source_url,end_date,milestone,themes"
U = "https://example.org/s"
ROWS = [
    # id, pillar, sector, status, start, end, themes
    ("O-1", "security", "Policing", "planned", "2025-10-01", "2026-04-30", "security;digital"),  # overdue
    ("O-2", "security", "Policing", "completed", "2025-10-01", "2026-04-30", "security"),  # done: not overdue
    ("O-3", "prosperity", "Trade", "cancelled", "2025-10-01", "2026-04-30", "trade"),  # dropped: not overdue
    ("O-4", "prosperity", "Trade", "in_progress", "2025-10-01", "2026-05-01", "trade;energy"),  # due today
    ("O-5", "environment", "Climate", "delayed", "2025-10-01", "2026-07-30", "energy;climate"),  # +90 days
    ("O-6", "environment", "Climate", "planned", "2025-10-01", "2026-07-31", "climate"),  # +91 days
    ("O-7", "mobility", "Education", "ongoing", "2025-09-18", "", "mobility"),  # open-ended
    ("O-8", "prosperity", "Agriculture", "completed", "2025-10-01", "2026-06-01", "trade;agriculture;energy"),
    ("O-9", "security", "Cybersecurity", "unknown", "2025-10-01", "2026-01-01", "digital"),  # overdue
]


@pytest.fixture(scope="module")
def ds():
    rows = [f"{i},Title {i},{p},{s},{st},{a},{U},{b},,{t}" for i, p, s, st, a, b, t in ROWS]
    result = loader.load(csv_bytes(*rows, header=HEADER))
    assert result.ok and not result.issues
    return dataset.build(result)


def test_late_is_delayed_or_end_passed_and_not_done(ds):
    """The Status page's "Delayed and overdue" list: O-5 says delayed, O-1 and O-9 ended undone."""
    assert metrics.late(ds.frame, TODAY)["id"].tolist() == ["O-1", "O-5", "O-9"]


@pytest.mark.parametrize(
    "ident,due_soon",
    [
        ("O-4", 1),
        ("O-5", 1),  # due today, and in 90 days
        ("O-6", 0),  # in 91 days
        ("O-1", 0),
        ("O-2", 0),
        ("O-3", 0),
        ("O-7", 0),  # overdue, completed, cancelled, open-ended
    ],
)
def test_due_soon_is_within_90_days_inclusive_and_not_done(ds, ident, due_soon):
    df = ds.frame
    assert metrics.kpis(df[df["id"] == ident], TODAY).due_soon == due_soon


def test_kpis(ds):
    k = metrics.kpis(ds.frame, TODAY)
    assert (k.total, k.completed, k.due_soon, k.overdue) == (9, 2, 2, 2)
    assert k.completed_share == pytest.approx(2 / 9)


def test_kpis_move_with_today(ds):
    later = metrics.kpis(ds.frame, date(2026, 7, 31))
    # O-4 and O-5 are now overdue too; O-6 is due today
    assert (later.overdue, later.due_soon) == (4, 1)


def test_kpis_follow_the_filters(ds):
    df = Filters(pillar=("security",)).apply(ds)
    k = metrics.kpis(df, TODAY)
    assert (k.total, k.completed, k.due_soon, k.overdue) == (3, 1, 0, 2)


def test_kpis_of_nothing():
    empty = loader.empty_frame()
    k = metrics.kpis(empty, TODAY)
    assert (k.total, k.completed, k.due_soon, k.overdue, k.completed_share) == (0, 0, 0, 0, 0.0)


def test_counts_by_pillar_in_vocabulary_order(ds):
    t = metrics.counts(ds.frame, "pillar")
    got = [(str(p), str(s), int(n)) for p, s, n in zip(t["pillar"], t["status"], t["count"])]
    assert got == [
        ("prosperity", "completed", 1),
        ("prosperity", "in_progress", 1),
        ("prosperity", "cancelled", 1),
        ("mobility", "ongoing", 1),
        ("security", "completed", 1),
        ("security", "planned", 1),
        ("security", "unknown", 1),
        ("environment", "planned", 1),
        ("environment", "delayed", 1),
    ]
    assert (t["count"] > 0).all() and t["count"].sum() == len(ds.frame)


def test_counts_by_sector_are_alphabetical_then_status(ds):
    t = metrics.counts(ds.frame, "sector")
    assert list(dict.fromkeys(t["sector"])) == [
        "Agriculture",
        "Climate",
        "Cybersecurity",
        "Education",
        "Policing",
        "Trade",
    ]
    climate = t[t["sector"] == "Climate"]
    assert [str(s) for s in climate["status"]] == ["planned", "delayed"]


def test_counts_of_nothing_is_an_empty_table():
    t = metrics.counts(loader.empty_frame(), "pillar")
    assert t.empty and list(t.columns) == ["pillar", "status", "count"]


def test_completion_share_per_pillar(ds):
    t = metrics.completion(ds.frame)
    got = {
        str(p): (int(n), int(c), round(float(s), 4))
        for p, n, c, s in zip(t["pillar"], t["total"], t["completed"], t["share"])
    }
    assert got == {
        "prosperity": (3, 1, 0.3333),
        "mobility": (1, 0, 0.0),
        "security": (3, 1, 0.3333),
        "environment": (2, 0, 0.0),
    }
    assert [str(p) for p in t["pillar"]] == ["prosperity", "mobility", "security", "environment"]


def test_completion_leaves_out_pillars_with_no_rows(ds):
    t = metrics.completion(Filters(pillar=("security",)).apply(ds))
    assert [str(p) for p in t["pillar"]] == ["security"]
    assert float(t["share"].iloc[0]) == pytest.approx(1 / 3)


def test_theme_pillar_counts_multi_theme_rows_in_each_theme(ds):
    t = metrics.theme_pillar(ds.frame, ds.themes)
    as_dict = {(th, p): int(t.loc[th, p]) for th in t.index for p in t.columns}
    assert as_dict[("energy", "prosperity")] == 2  # O-4, O-8
    assert as_dict[("energy", "environment")] == 1  # O-5
    assert as_dict[("trade", "prosperity")] == 3  # O-3, O-4, O-8
    assert as_dict[("digital", "security")] == 2  # O-1, O-9
    assert as_dict[("agriculture", "prosperity")] == 1
    # every (row, theme) pair is counted exactly once
    assert int(t.to_numpy().sum()) == len(ds.themes) == 14
    # busiest theme first
    totals = t.sum(axis=1).tolist()
    assert totals == sorted(totals, reverse=True)
    assert set(t.index[:2]) == {"trade", "energy"}  # 3 rows each


def test_theme_pillar_only_counts_rows_in_view(ds):
    df = Filters(status=("completed",)).apply(ds)  # O-2 (security) and O-8 (prosperity)
    t = metrics.theme_pillar(df, ds.themes)
    assert int(t.to_numpy().sum()) == 4  # security + trade, agriculture, energy
    assert int(t.loc["security", "security"]) == 1
    assert "digital" not in t.index and "climate" not in t.index
    assert list(t.columns) == ["prosperity", "security"]


def test_the_kept_theme_counts_do_not_keep_their_rows_alive(ds):
    import gc
    import weakref

    df = ds.frame[ds.frame["pillar"] == "security"]
    gone = weakref.ref(df)
    metrics.theme_pillar(df, ds.themes)
    del df
    gc.collect()
    assert gone() is None


def test_theme_pillar_of_nothing(ds):
    assert metrics.theme_pillar(ds.frame.iloc[:0], ds.themes).empty
