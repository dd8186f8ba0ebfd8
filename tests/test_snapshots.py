"""Snapshots: listing, loading, diffing, burn-up, and the shipped data/snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmap_tracker import changes as C
from cmap_tracker import snapshots as S
from cmap_tracker.filters import Filters
from cmap_tracker.loader import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "initiatives.csv"

HEADER = "id,title,pillar,sector,status,start_date,end_date,source_url"
URL = "https://example.org/x"


def row(
    id_, title="Thing", pillar="prosperity", sector="Trade", status="planned", start="2025-09-18", end="", url=URL
) -> str:
    return ",".join([id_, title, pillar, sector, status, start, end, url])


BASE = [
    row("A-1", "Alpha", status="planned", end="2026-03-31"),
    row("A-2", "Beta", pillar="security", sector="Policing", status="ongoing"),
    row("A-3", "Gamma", pillar="environment", sector="Climate", status="completed", start="2025-10-01"),
]


def write(directory: Path, date: str, rows: list[str], header: str = HEADER) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{date}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def pair(tmp_path: Path, before: list[str], after: list[str]) -> tuple[S.Snapshot, S.Snapshot]:
    write(tmp_path, "2026-01-01", before)
    write(tmp_path, "2026-02-01", after)
    return S.load_snapshot("2026-01-01", tmp_path), S.load_snapshot("2026-02-01", tmp_path)


def swap(rows: list[str], id_: str, new: str) -> list[str]:
    return [new if r.startswith(id_ + ",") else r for r in rows]


# ------------------------------------------------------------------- listing


def test_list_snapshots_sorted_and_ignores_bad_names(tmp_path):
    for name in ("2026-06-01.csv", "2025-09-30.csv", "2026-01-15.csv"):
        write(tmp_path, name[:-4], BASE)
    for bad in (
        "latest.csv",
        "2026-02-30.csv",
        "2026-1-05.csv",
        "2026-01-05.csv.bak",
        "2026-01-05.CSV",
        "x2026-01-05.csv",
        "2026-01-05 .csv",
        "notes.txt",
        "20260105.csv",
    ):
        (tmp_path / bad).write_text(HEADER + "\n" + BASE[0] + "\n")
    (tmp_path / "2026-03-01.csv").mkdir()  # a directory is not a snapshot
    assert S.list_snapshots(tmp_path) == ["2025-09-30", "2026-01-15", "2026-06-01"]


def test_list_snapshots_missing_directory(tmp_path):
    assert S.list_snapshots(tmp_path / "nope") == []


def test_load_snapshot_bad_date_and_missing_file(tmp_path):
    with pytest.raises(ValueError):
        S.load_snapshot("2026-13-01", tmp_path)
    with pytest.raises(ValueError):
        S.load_snapshot("../initiatives", tmp_path)
    with pytest.raises(FileNotFoundError):
        S.load_snapshot("2026-01-01", tmp_path)


def test_load_snapshot_uses_loader(tmp_path):
    write(tmp_path, "2026-01-01", BASE)
    snap = S.load_snapshot("2026-01-01", tmp_path)
    assert snap.date == "2026-01-01"
    assert snap.result.ok and len(snap.frame) == 3 and snap.result.rejected_rows == 0
    assert snap.rejected == ()


# ---------------------------------------------------------------------- diff


def test_identical_snapshots_diff_empty(tmp_path):
    a, b = pair(tmp_path, BASE, BASE)
    d = C.diff(a, b)
    assert d.is_empty()
    assert (d.since, d.until) == ("2026-01-01", "2026-02-01")
    assert d.status_flow.empty and d.slippage.empty and d.completions.empty
    assert d.unmatched_rejected == []
    assert C.diff_summary(d) == dict(added=0, removed=0, completed=0, delayed=0, slipped=0, changed=0)


def test_added(tmp_path):
    a, b = pair(tmp_path, BASE, BASE + [row("A-4", "Delta", status="in_progress")])
    d = C.diff(a, b)
    assert d.added["id"].tolist() == ["A-4"]
    assert d.added["title"].tolist() == ["Delta"]
    assert d.removed.empty and d.changes.empty and not d.is_empty()
    assert C.diff_summary(d)["added"] == 1


def test_removed(tmp_path):
    a, b = pair(tmp_path, BASE, BASE[:2])
    d = C.diff(a, b)
    assert d.removed["id"].tolist() == ["A-3"]
    assert d.added.empty and d.changes.empty
    assert C.diff_summary(d)["removed"] == 1


def test_title_edit_same_id_is_one_change(tmp_path):
    after = swap(BASE, "A-2", row("A-2", "Beta renamed", pillar="security", sector="Policing", status="ongoing"))
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    assert d.added.empty and d.removed.empty
    assert d.changes[["id", "field", "before", "after"]].values.tolist() == [["A-2", "title", "Beta", "Beta renamed"]]
    assert d.changes["title"].tolist() == ["Beta renamed"]  # until's title
    assert C.diff_summary(d)["changed"] == 1


def test_status_change_in_status_flow(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="in_progress", end="2026-03-31"))
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    assert d.status_flow.values.tolist() == [["A-1", "planned", "in_progress"]]
    assert d.changes[["id", "field", "before", "after"]].values.tolist() == [
        ["A-1", "status", "planned", "in_progress"]
    ]
    assert d.completions.empty


def test_end_date_later_is_slippage_with_days(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="planned", end="2026-06-30"))
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    assert d.slippage["id"].tolist() == ["A-1"]
    assert d.slippage["title"].tolist() == ["Alpha"]
    assert d.slippage["days"].tolist() == [91]
    assert d.slippage["before_end"].iloc[0] == pd.Timestamp("2026-03-31")
    assert d.slippage["after_end"].iloc[0] == pd.Timestamp("2026-06-30")
    assert d.changes[["field", "before", "after"]].values.tolist() == [["end_date", "2026-03-31", "2026-06-30"]]
    assert C.diff_summary(d)["slipped"] == 1


def test_end_date_earlier_or_new_is_not_slippage(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", end="2026-01-31"))
    after = swap(
        after, "A-2", row("A-2", "Beta", pillar="security", sector="Policing", status="ongoing", end="2027-01-01")
    )
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    assert d.slippage.empty
    got = d.changes[["id", "field", "before", "after"]].values.tolist()
    assert got == [["A-1", "end_date", "2026-03-31", "2026-01-31"], ["A-2", "end_date", "", "2027-01-01"]]


def test_completion(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="completed", end="2026-03-31"))
    after = after + [row("A-4", "Delta", status="completed"), row("A-5", "Eps", status="planned")]
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    # A-1 became completed, A-4 arrived completed; A-3 was already completed.
    assert d.completions[["id", "before"]].values.tolist() == [["A-1", "planned"], ["A-4", ""]]
    assert d.completions["pillar"].tolist() == ["prosperity", "prosperity"]
    assert C.diff_summary(d)["completed"] == 2


def test_became_delayed_counted(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="delayed", end="2026-03-31"))
    a, b = pair(tmp_path, BASE, after)
    s = C.diff_summary(C.diff(a, b))
    assert s["delayed"] == 1 and s["changed"] == 1 and s["completed"] == 0


def test_several_fields_one_row(tmp_path):
    after = swap(
        BASE, "A-2", row("A-2", "Beta", pillar="environment", sector="Climate", status="completed", start="2025-10-01")
    )
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b)
    assert d.changes["field"].tolist() == ["status", "start_date", "pillar", "sector"]
    assert d.changes["before"].tolist() == ["ongoing", "2025-09-18", "security", "Policing"]
    assert C.diff_summary(d)["changed"] == 1


def test_themes_compared_as_sets(tmp_path):
    header = HEADER + ",themes"
    write(tmp_path, "2026-01-01", [BASE[0] + ',"ip;energy"', BASE[1] + ",security"], header)
    write(tmp_path, "2026-02-01", [BASE[0] + ',"energy;ip"', BASE[1] + ',"security;digital"'], header)
    d = C.diff(S.load_snapshot("2026-01-01", tmp_path), S.load_snapshot("2026-02-01", tmp_path))
    assert d.changes[["id", "field", "before", "after"]].values.tolist() == [
        ["A-2", "themes", "security", "security;digital"]
    ]


def test_rejected_row_reported_not_removed(tmp_path):
    bad = row("A-2", "Beta", pillar="not-a-pillar", sector="Policing", status="ongoing")
    a, b = pair(tmp_path, BASE, swap(BASE, "A-2", bad))
    assert b.result.rejected_rows == 1
    d = C.diff(a, b)
    assert d.removed.empty and d.added.empty
    assert [(r.date, r.line, r.id) for r in d.unmatched_rejected] == [("2026-02-01", 3, "A-2")]
    assert "pillar" in d.unmatched_rejected[0].reason
    assert C.diff_summary(d)["removed"] == 0
    assert d.is_empty()  # reported, never counted


def test_rejected_row_in_since_is_not_added(tmp_path):
    bad = row("A-3", "Gamma", pillar="environment", sector="Climate", status="completed", start="not-a-date")
    a, b = pair(tmp_path, swap(BASE, "A-3", bad), BASE)
    d = C.diff(a, b)
    assert d.added.empty and d.completions.empty
    assert [(r.date, r.line, r.id) for r in d.unmatched_rejected] == [("2026-01-01", 4, "A-3")]


def test_hand_built_snapshot_reads_rejected_ids_from_its_source(tmp_path):
    bad = row("A-2", "Beta", pillar="nope", sector="Policing", status="ongoing")
    a, b = pair(tmp_path, BASE, swap(BASE, "A-2", bad))
    d = C.diff(a, S.Snapshot(b.date, b.result))
    assert [(r.line, r.id) for r in d.unmatched_rejected] == [(3, "A-2")]
    assert d.removed.empty


def test_rejected_row_from_bytes_reported_by_line(tmp_path):
    bad = row("A-2", "Beta", pillar="nope", sector="Policing", status="ongoing")
    a, _ = pair(tmp_path, BASE, BASE)
    data = ("\n".join([HEADER, *swap(BASE, "A-2", bad)]) + "\n").encode()
    d = C.diff(a, S.Snapshot("2026-02-01", load(data)))
    assert [(r.line, r.id) for r in d.unmatched_rejected] == [(3, "")]
    assert d.removed["id"].tolist() == ["A-2"]  # without its id it cannot be told apart


def test_duplicate_id_rejected_keeps_first(tmp_path):
    a, b = pair(tmp_path, BASE, BASE + [row("A-1", "Alpha again")])
    d = C.diff(a, b)
    assert d.is_empty()
    assert [(r.line, r.id) for r in d.unmatched_rejected] == [(5, "A-1")]


def test_disjoint_snapshots(tmp_path):
    a, b = pair(tmp_path, BASE[:1], [row("B-1", "Other")])
    d = C.diff(a, b)
    assert d.added["id"].tolist() == ["B-1"] and d.removed["id"].tolist() == ["A-1"]
    assert d.changes.empty and d.status_flow.empty and d.slippage.empty
    assert list(d.changes.columns) == ["id", "title", "field", "before", "after"]


def test_fatal_snapshot_refused(tmp_path):
    write(tmp_path, "2026-01-01", BASE)
    (tmp_path / "2026-02-01.csv").write_text("just,a,header\n")
    a, b = S.load_snapshot("2026-01-01", tmp_path), S.load_snapshot("2026-02-01", tmp_path)
    assert not b.result.ok
    with pytest.raises(ValueError):
        C.diff(a, b)


# --------------------------------------------------------------- row filters


def test_keep_filter_limits_rows(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="in_progress", end="2026-03-31"))
    after = swap(after, "A-2", row("A-2", "Beta", pillar="security", sector="Policing", status="completed"))
    a, b = pair(tmp_path, BASE, after + [row("A-4", "Delta", pillar="environment", sector="Climate")])
    d = C.diff(a, b, keep=lambda f: f["pillar"] == "security")
    assert d.status_flow["id"].tolist() == ["A-2"]
    assert d.added.empty
    assert d.completions["id"].tolist() == ["A-2"]


def test_row_leaving_the_filter_is_a_change_not_removed(tmp_path):
    after = swap(BASE, "A-2", row("A-2", "Beta", pillar="prosperity", sector="Policing", status="ongoing"))
    a, b = pair(tmp_path, BASE, after)
    d = C.diff(a, b, keep=lambda f: f["pillar"] == "security")
    assert d.removed.empty and d.added.empty
    assert d.changes[["id", "field", "before", "after"]].values.tolist() == [
        ["A-2", "pillar", "security", "prosperity"]
    ]


def test_keep_from_filters(tmp_path):
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="completed", end="2026-03-31"))
    a, b = pair(tmp_path, BASE, after)
    keep = S.keep_from_filters(Filters(pillar=("prosperity",)))
    assert C.diff(a, b, keep=keep).completions["id"].tolist() == ["A-1"]
    keep = S.keep_from_filters(Filters(pillar=("security",)))
    assert C.diff(a, b, keep=keep).is_empty()


def test_a_keep_gives_a_diff_and_a_burnup_the_same_rows_and_its_answer_cannot_be_changed(tmp_path):
    """The What changed page draws a diff and a burnup with the same filters: both see the
    same rows of each snapshot, from one shared mask that no caller can change."""
    a, b = pair(tmp_path, BASE, swap(BASE, "A-2", row("A-2", "Beta", pillar="security", status="completed")))
    keep = S.keep_from_filters(Filters(pillar=("security",)))
    assert C.diff(a, b, keep=keep).completions["id"].tolist() == ["A-2"]
    bu = S.burnup([a, b], keep=keep)
    assert bu["total"].tolist() == [1, 1] and bu["completed"].tolist() == [0, 1]
    with pytest.raises(ValueError):
        keep(a.frame)[0] = False


def test_keep_must_return_one_bool_per_row(tmp_path):
    a, b = pair(tmp_path, BASE, BASE)
    with pytest.raises(ValueError):
        C.diff(a, b, keep=lambda f: [True])


# -------------------------------------------------------------------- burnup


def test_burnup_totals(tmp_path):
    write(tmp_path, "2026-01-01", BASE)
    after = swap(BASE, "A-1", row("A-1", "Alpha", status="completed", end="2026-03-31"))
    write(tmp_path, "2026-02-01", after + [row("A-4", "Delta")])
    snaps = S.load_snapshots(tmp_path)
    bu = S.burnup(list(reversed(snaps)))  # order of the input does not matter
    assert list(bu.columns) == ["date", "pillar", "total", "completed"]
    got = {(d.strftime("%Y-%m-%d"), p): (t, c) for d, p, t, c in bu.itertuples(index=False)}
    assert got == {
        ("2026-01-01", "prosperity"): (1, 0),
        ("2026-01-01", "security"): (1, 0),
        ("2026-01-01", "environment"): (1, 1),
        ("2026-02-01", "prosperity"): (2, 1),
        ("2026-02-01", "security"): (1, 0),
        ("2026-02-01", "environment"): (1, 1),
    }
    assert bu["date"].is_monotonic_increasing
    # pillars in plan order within each date; 'mobility' has no rows anywhere, so it is left out
    assert bu["pillar"].tolist()[:3] == ["prosperity", "security", "environment"]


def test_burnup_with_filter_and_zero_rows(tmp_path):
    write(tmp_path, "2026-01-01", BASE[:2])
    write(tmp_path, "2026-02-01", BASE)
    snaps = S.load_snapshots(tmp_path)
    bu = S.burnup(snaps, keep=lambda f: f["pillar"] == "environment")
    assert bu[["pillar", "total", "completed"]].values.tolist() == [["environment", 0, 0], ["environment", 1, 1]]
    assert S.burnup([]).empty


# ---------------------------------------------------------- the shipped data


SHIPPED = S.list_snapshots()


def test_at_least_four_snapshots_shipped():
    assert len(SHIPPED) >= 4
    assert {"2025-09-30", "2026-01-15", "2026-06-01", "2026-11-25"} <= set(SHIPPED)


@pytest.fixture(scope="module")
def shipped() -> list[S.Snapshot]:
    return S.load_snapshots()


def test_shipped_snapshots_load_clean(shipped):
    for s in shipped:
        assert s.result.ok, s.date
        assert s.result.rejected_rows == 0, (s.date, s.result.issues_frame())
        assert len(s.frame) > 0


def test_newest_snapshot_is_the_current_file():
    newest = S.SNAPSHOT_DIR / f"{SHIPPED[-1]}.csv"
    assert newest.read_bytes() == DATA.read_bytes()


def test_completed_rows_started_by_their_snapshot(shipped):
    for s in shipped:
        done = s.frame[s.frame["status"] == "completed"]
        late = done[done["start_date"] > pd.Timestamp(s.date)]
        assert late.empty, (s.date, late["id"].tolist())


def test_future_rows_are_only_planned(shipped):
    """A row dated after its snapshot can only be something announced for later."""
    for s in shipped:
        future = s.frame[s.frame["start_date"] > pd.Timestamp(s.date)]
        assert set(future["status"].astype(str)) <= {"planned"}, (s.date, future["id"].tolist())


def test_last_updated_not_after_snapshot(shipped):
    for s in shipped:
        lu = s.frame["last_updated"]
        assert lu.notna().all(), s.date
        assert (lu <= pd.Timestamp(s.date)).all(), (s.date, s.frame.loc[lu > pd.Timestamp(s.date), "id"].tolist())


def test_nothing_silently_disappears(shipped):
    for older, newer in zip(shipped, shipped[1:]):
        missing = set(older.frame["id"]) - set(newer.frame["id"])
        assert not missing, (older.date, newer.date, sorted(missing))
        assert C.diff(older, newer).removed.empty


def test_shipped_burnup_matches_frames(shipped):
    bu = S.burnup(shipped)
    totals = bu.groupby(bu["date"].dt.strftime("%Y-%m-%d"))[["total", "completed"]].sum()
    for s in shipped:
        assert totals.loc[s.date, "total"] == len(s.frame)
        assert totals.loc[s.date, "completed"] == int((s.frame["status"] == "completed").sum())


@pytest.mark.parametrize("empty_side", ["since", "until"])
def test_a_filtered_diff_works_when_a_snapshot_has_no_usable_row(tmp_path, empty_side):
    """A snapshot whose every row was rejected (here: no title) still loads; a filtered
    diff against it lists the other side's rows as added or removed."""
    bad = [row("Z-1", title="")]
    a, b = pair(tmp_path, bad, BASE) if empty_side == "since" else pair(tmp_path, BASE, bad)
    assert a.result.ok and b.result.ok
    d = C.diff(a, b, keep=S.keep_from_filters(Filters(pillar=("security",))))
    moved = d.added if empty_side == "since" else d.removed
    assert moved["id"].tolist() == ["A-2"]
    assert d.changes.empty and d.status_flow.empty


FILTERS = st.builds(
    Filters,
    pillar=st.lists(
        st.sampled_from(["prosperity", "mobility", "security", "environment"]), unique=True, max_size=2
    ).map(tuple),
    status=st.lists(
        st.sampled_from(["planned", "in_progress", "completed", "delayed", "ongoing"]), unique=True, max_size=2
    ).map(tuple),
    theme=st.lists(st.sampled_from(["energy", "trade", "security", "ip", "climate"]), unique=True, max_size=2).map(
        tuple
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=FILTERS, pair_at=st.integers(min_value=0, max_value=10))
def test_a_filtered_diff_is_the_whole_diff_restricted_to_ids_kept_on_either_side(shipped, f, pair_at):
    """The rule in ``Diff``'s docstring, checked the plain way: ids kept in either
    snapshot, then ``Diff.only``."""
    i = pair_at % (len(shipped) - 1)
    a, b = shipped[i], shipped[i + 1]
    keep = S.keep_from_filters(f)
    fa, fb = a.result.frame, b.result.frame
    ids = set(fa["id"][np.asarray(keep(fa))]) | set(fb["id"][np.asarray(keep(fb))])
    want, got = C.diff(a, b).only(ids), C.diff(a, b, keep=keep)
    for name in ("added", "removed", "changes", "status_flow", "slippage", "completions"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)


def test_what_is_derived_from_a_snapshot_goes_when_the_snapshot_does(tmp_path):
    """Filter indexes and burn-up counts are kept per snapshot frame, but not after it:
    a replaced snapshot file does not stay in memory through them."""
    import gc
    import weakref

    a, b = pair(tmp_path, BASE, BASE)
    S.burnup([a, b], keep=S.keep_from_filters(Filters(pillar=("security",))))
    C.diff(a, b, keep=S.keep_from_filters(Filters(pillar=("security",))))
    frames = [weakref.ref(a.result.frame), weakref.ref(b.result.frame)]
    del a, b
    gc.collect()
    assert [f() for f in frames] == [None, None]


def test_every_rejected_row_of_a_snapshot_is_reported_not_only_the_first_thousand(tmp_path):
    """The loader keeps details of the first 1,000 rows per reason; a snapshot still
    reports every rejected row, with its id, so none is mistaken for a removal."""
    bad = [f"B-{k},Bad {k},atlantis,Sector,planned,2026-01-01,,https://example.org/b" for k in range(1200)]
    a, b = pair(tmp_path, BASE, BASE + bad)
    assert len(b.rejected) == 1200
    assert {r.id for r in b.rejected} == {f"B-{k}" for k in range(1200)}
    assert len(C.diff(a, b).unmatched_rejected) == 1200 and C.diff(a, b).added.empty
