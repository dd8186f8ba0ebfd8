"""Which rows carry which themes (cmap_tracker.themes)."""

from __future__ import annotations

import pytest

from cmap_tracker import dataset, loader, themes
from cmap_tracker.filters import Filters
from conftest import csv_bytes

HEADER = "id,title,pillar,sector,status,start_date,source_url,themes"
U = "https://example.org/s"
ROWS = [  # id, pillar, themes
    ("T-1", "security", "security;digital"),
    ("T-2", "security", "security"),
    ("T-3", "prosperity", "trade;energy"),
    ("T-4", "environment", "energy;climate"),
    ("T-5", "prosperity", "trade;agriculture;energy"),
]


@pytest.fixture(scope="module")
def ds():
    rows = [f"{i},Title {i},{p},Sector,planned,2026-01-01,{U},{t}" for i, p, t in ROWS]
    result = loader.load(csv_bytes(*rows, header=HEADER))
    assert result.ok and not result.issues
    return dataset.build(result)


def ids(df) -> list[str]:
    return df["id"].tolist()


@pytest.mark.parametrize(
    "chosen,expected",
    [
        ({"energy"}, ["T-3", "T-4", "T-5"]),
        ({"digital", "climate"}, ["T-1", "T-4"]),
        ({"no_such_theme"}, []),
        (set(), []),
    ],
)
def test_row_mask_marks_the_rows_carrying_any_chosen_theme(ds, chosen, expected):
    mask = themes.row_mask(ds, chosen)
    assert mask.dtype == bool and len(mask) == len(ds.frame)
    assert ids(ds.frame[mask]) == expected


def test_with_themes_keeps_the_rows_of_the_given_frame_in_order(ds):
    df = Filters(pillar=("prosperity", "environment")).apply(ds)  # T-3, T-4, T-5
    got = themes.with_themes(ds, df, ["energy", "agriculture"])
    assert ids(got) == ["T-3", "T-4", "T-5"]
    assert got.index.tolist() == df.index.tolist()  # still rows of ds.frame
    assert ids(themes.with_themes(ds, df, ["security"])) == []


def test_theme_pairs_list_every_theme_of_every_row_in_view(ds):
    df = Filters(pillar=("security",)).apply(ds)  # T-1, T-2
    pos, codes, names = themes.theme_pairs(df, ds.themes)
    pairs = sorted((df["id"].iloc[p], names[c]) for p, c in zip(pos, codes))
    assert pairs == [("T-1", "digital"), ("T-1", "security"), ("T-2", "security")]
    assert themes.carrying(codes, names, ["digital"]).tolist() == [names[c] == "digital" for c in codes]


def test_theme_pairs_are_kept_for_the_same_rows_and_found_anew_for_others(ds):
    """A page draws several theme charts of the same rows: they share one answer."""
    df = Filters(pillar=("security",)).apply(ds)
    first = themes.theme_pairs(df, ds.themes)
    assert all(a is b for a, b in zip(first, themes.theme_pairs(df, ds.themes)))
    assert not any(a.flags.writeable for a in first)  # shared, so read-only
    other = Filters(pillar=("environment",)).apply(ds)
    pos, codes, names = themes.theme_pairs(other, ds.themes)
    assert sorted(names[codes].tolist()) == ["climate", "energy"] and set(pos.tolist()) == {0}
