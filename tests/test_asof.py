"""Views as of a date (``?asof=``): every page on the newest snapshot on or before that date, counted as that
snapshot counts; the link's mapping; and what a view of the latest data keeps without ``asof``."""

from __future__ import annotations

from datetime import date

import pytest

from cmap_tracker import changes, i18n, metrics, snapshots, state
from cmap_tracker.state import Notice, View
from conftest import run, shown

PAGES = ["overview", "status", "timeline", "themes", "explorer", "changes", "data"]
DATES = snapshots.list_snapshots()  # the bundled snapshots, oldest first
ASKED, SNAP = "2026-03-01", "2026-01-15"  # a date between snapshots, and the snapshot it picks


@pytest.fixture(scope="module")
def snap():
    return snapshots.load_snapshot(SNAP)


def summary(at) -> str:
    return next(m.value for m in at.markdown if "initiatives**" in m.value)


def banner(at) -> str:
    return " ".join(shown(i.value) for i in at.info if "viewing the data as it was" in i.value)


def qp(at, key: str) -> list[str]:
    v = at.query_params.get(key, [])
    return [v] if isinstance(v, str) else list(v)


def test_the_bundled_snapshots_are_what_these_tests_assume():
    assert SNAP in DATES and DATES[0] < SNAP < ASKED < DATES[DATES.index(SNAP) + 1]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_snapshot_on_or_before_the_date(page, snap):
    at = run(page, asof=ASKED)
    assert not at.exception, at.exception
    n = len(snap.frame)
    assert n != 51  # not the latest data's count
    assert summary(at) == f"**{n} of {n} initiatives**"
    assert "as it was on Jan 15, 2026" in banner(at)
    assert qp(at, "asof") == [SNAP]  # the link names the snapshot, so it keeps its data when one is added


def test_overview_kpis_are_the_snapshot_s_counted_on_its_date(snap):
    at = run("overview", asof=ASKED)
    k = metrics.kpis(snap.frame, date.fromisoformat(SNAP))
    shown_kpis = {m.label: m.value for m in at.metric}
    assert shown_kpis["Initiatives in view"] == str(k.total)
    assert shown_kpis["Completed"] == i18n.fmt_pct(k.completed_share)
    assert shown_kpis["Due in 90 days"] == str(k.due_soon)
    assert shown_kpis["Overdue"] == str(k.overdue)
    assert shown_kpis["Data as of"] == "Jan 15, 2026"


def test_explorer_lists_the_snapshot_s_rows(snap):
    at = run("explorer", asof=ASKED, pillar=["security"])
    table = at.dataframe[0].value
    expected = snap.frame[snap.frame["pillar"] == "security"]
    assert sorted(table["id"]) == sorted(expected["id"])
    assert summary(at) == f"**Security · {len(expected)} of {len(snap.frame)} initiatives**"


def test_status_lists_what_was_late_on_the_snapshot_s_date(snap):
    at = run("status", asof=ASKED)
    late = metrics.late(snap.frame, date.fromisoformat(SNAP))
    tables = [t.value for t in at.dataframe]
    assert (sorted(tables[0]["id"]) if tables else []) == sorted(late["id"])


def test_themes_count_the_snapshot_s_rows(snap):
    from cmap_tracker import dataset

    ds = dataset.build(snap.result)
    at = run("themes", asof=ASKED)
    at.session_state["theme_matrix__table"] = True  # open "Show as table"
    at.run()
    table = at.table[0].value
    expected = metrics.theme_pillar(ds.view, ds.themes)
    assert int(table.drop(columns=table.columns[0]).to_numpy().sum()) == int(expected.to_numpy().sum())


def test_what_changed_compares_the_snapshots_known_on_that_date():
    at = run("changes", asof=ASKED)
    assert at.selectbox(key="view_until").value == SNAP
    assert at.selectbox(key="view_since").value == DATES[DATES.index(SNAP) - 1]
    assert at.selectbox(key="view_until").options == [i18n.fmt_date(date.fromisoformat(d)) for d in DATES[:2]]
    before, after = (snapshots.load_snapshot(d) for d in DATES[:2])
    n = changes.diff_summary(changes.diff(before, after))
    assert {m.label: m.value for m in at.metric}["Added"] == str(n["added"])


def test_the_data_page_reports_the_snapshot_file(snap):
    at = run("data", asof=ASKED)
    text = " ".join(shown(m.value) for m in at.markdown)
    rows = snap.result.rows_in_file
    assert f"Data as of Jan 15, 2026. Rows: {rows} in the file, {len(snap.frame)} shown" in text


def test_the_sidebar_offers_every_snapshot_date_and_latest_data():
    at = run("overview")
    box = at.sidebar.selectbox(key="w_asof")
    assert box.options == list(reversed(DATES)) and box.value is None and box.proto.placeholder == "Latest data"
    box.set_value("2026-06-01").run()
    n = len(snapshots.load_snapshot("2026-06-01").frame)
    assert summary(at) == f"**{n} of {n} initiatives**" and qp(at, "asof") == ["2026-06-01"]
    at.sidebar.selectbox(key="w_asof").set_value(None).run()  # cleared: the latest data
    assert summary(at) == "**51 of 51 initiatives**" and qp(at, "asof") == [] and not banner(at)


def test_filters_and_pages_keep_the_date():
    at = run("overview", asof=ASKED, pillar=["security"])
    at.switch_page("pages/explorer.py").run()
    assert not at.exception
    assert qp(at, "asof") == [SNAP] and qp(at, "pillar") == ["security"]
    assert summary(at).endswith(f"of {len(snapshots.load_snapshot(SNAP).frame)} initiatives**")


@pytest.mark.parametrize("value", ["2020-01-01", "not-a-date", "../../etc/passwd", "2026-13-01", "20260115"])
def test_an_unusable_date_shows_the_latest_data_with_a_notice(value):
    at = run("overview", asof=value)
    assert not at.exception
    assert summary(at) == "**51 of 51 initiatives**" and not banner(at)
    assert f"asof={value}" in shown(" ".join(w.value for w in at.warning))
    assert qp(at, "asof") == []


def test_a_feed_entry_s_link_opens_the_initiative_in_its_snapshot():
    """The Atom feed links an entry as ``?asof=DATE&detail=ID``; ``detail`` is read as ``id``."""
    added = snapshots.load_snapshot("2026-06-01")
    ident = sorted(set(added.frame["id"]) - set(snapshots.load_snapshot(SNAP).frame["id"]))[0]
    at = run("explorer", asof="2026-06-01", detail=ident)
    assert not at.exception
    assert any(shown(h.value).startswith(f"{ident} · ") for h in at.header)
    assert qp(at, "id") == [ident] and qp(at, "detail") == [] and qp(at, "asof") == ["2026-06-01"]
    # the same id as of a date before it existed: the snapshot has no such row, which the link is told
    at = run("explorer", asof=SNAP, id=ident)
    assert not any(shown(h.value).startswith(f"{ident} · ") for h in at.header)
    assert f"id={ident}" in shown(" ".join(w.value for w in at.warning))


def test_without_asof_nothing_says_as_of():
    at = run("overview")
    assert not banner(at) and qp(at, "asof") == []
    assert summary(at) == "**51 of 51 initiatives**"


# ---------------------------------------------------------------- the URL mapping


def test_snapshot_on_picks_the_newest_on_or_before_the_date():
    dates = ["2025-09-30", "2026-01-15", "2026-06-01"]
    assert state.snapshot_on("2026-01-15", dates) == "2026-01-15"
    assert state.snapshot_on("2026-05-31", dates) == "2026-01-15"
    assert state.snapshot_on("2099-01-01", dates) == "2026-06-01"
    for before_or_bad in ("2025-09-29", "", "2026-02-30", "2026-1-15", "2026-01-15T00:00", "x" * 10):
        assert state.snapshot_on(before_or_bad, dates) == ""


def test_asof_round_trips_and_unknown_values_are_reported(ds_small):
    view = View(asof="2026-01-15", id="S-1")
    back, notices = state.from_query(view.to_query(), ds_small, ["2025-09-30", "2026-01-15"])
    assert back == view and notices == []
    back, notices = state.from_query({"asof": "1999-01-01", "data": "/etc/passwd"}, ds_small, ["2025-09-30"])
    assert back == View() and notices == [Notice("asof", "1999-01-01")]


@pytest.fixture
def ds_small():
    from cmap_tracker import dataset, loader
    from conftest import csv_bytes, good

    return dataset.build(loader.load(csv_bytes(good("S-1")), name="small.csv"))
