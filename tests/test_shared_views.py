"""Sessions share the work of a view (the rows in view, their charts, the diff of two
snapshots), and never each other's view: interleaved sessions with other filters, another
language or many other views in between each see exactly their own page."""

from __future__ import annotations

import json

import pytest

from cmap_tracker import filters
from conftest import ROOT, run, shown


def summary(at) -> str:
    """The filters in words, the first bold line of the page: 'Security · 10 of 51 initiatives'."""
    return shown(next(m.value for m in at.markdown if m.value.startswith("**"))).strip("*")


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart_text(at) -> str:
    """The words the charts draw: titles, axis titles and trace names."""
    words = []
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        layout = spec.get("layout", {})
        words.append(json.dumps(layout.get("title", "")))
        words += [json.dumps(layout.get(k, {}).get("title", "")) for k in ("xaxis", "yaxis")]
        words += [str(t.get("name", "")) for t in spec.get("data", [])]
    return "\n".join(words)


@pytest.mark.parametrize("page", ["overview", "status", "timeline", "changes"])
def test_sessions_with_other_filters_interleaved_each_see_their_own_view(page):
    security = run(page, pillar=["security"])
    prosperity = run(page, pillar=["prosperity"])
    everything = run(page)
    again = run(page, pillar=["security"])
    assert summary(security).startswith("Security · ")
    assert summary(prosperity).startswith("Prosperity · ")
    assert summary(everything) == "51 of 51 initiatives"
    assert summary(again) == summary(security)
    assert charts(again) == charts(security)  # the same view draws the same charts
    assert charts(security) != charts(prosperity)
    assert charts(everything) not in (charts(security), charts(prosperity))


@pytest.mark.parametrize("page", ["overview", "status", "timeline"])
def test_sessions_in_other_languages_on_one_view_each_read_their_own(page):
    english = run(page, pillar=["security"], lang="en")
    french = run(page, pillar=["security"], lang="fr")
    english_again = run(page, pillar=["security"], lang="en")
    assert summary(english).startswith("Security · ")
    assert summary(french).startswith("Sécurité · ")
    assert chart_text(english_again) == chart_text(english)
    assert chart_text(french) != chart_text(english)


def test_a_view_asked_again_after_many_other_views_is_still_its_own(monkeypatch):
    """More views than the process keeps (here 2): the first is computed again, not mixed up."""
    monkeypatch.setattr(filters, "VIEW_ROWS_BUDGET", 2 * 51)
    assert filters.views_kept(51) == 2
    first = run("status", q="energy")
    for word in ("border", "health", "trade", "water", "youth", "mining", "culture", "students", "police", "ai"):
        run("status", q=word)
    again = run("status", q="energy")
    assert summary(again) == summary(first)
    assert charts(again) == charts(first)


def test_views_past_the_budget_are_let_go(monkeypatch):
    """The process keeps a bounded number of views per dataset: older ones are freed."""
    import gc
    import weakref

    from cmap_tracker import dataset, loader

    monkeypatch.setattr(filters, "VIEW_ROWS_BUDGET", 2 * 51)
    ds = dataset.build(loader.load(str(ROOT / "data" / "initiatives.csv")))
    first = weakref.ref(filters.Filters(pillar=("security",)).apply(ds))
    assert first() is not None  # kept for the next session that asks
    filters.Filters(pillar=("prosperity",)).apply(ds)
    filters.Filters(pillar=("environment",)).apply(ds)
    gc.collect()
    assert first() is None


def test_sessions_asking_at_once_for_a_value_being_computed_wait_for_it():
    """A shared link opened by many people at once: the value is computed once, and
    every one of them gets that same value."""
    import threading

    import pandas as pd

    from cmap_tracker import derived

    frame = pd.DataFrame({"a": [1, 2, 3]})
    computed = []
    started = threading.Event()

    def slow():
        computed.append(1)
        started.wait(2)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(derived.per_object(frame, "x", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join(10)
    assert len(computed) == 1
    assert len(got) == 8 and all(v is got[0] for v in got)
