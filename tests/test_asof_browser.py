"""A shared "as of" link keeps its data: opened again after the data file has changed, it shows the same KPIs,
while the link to the latest data shows the change. Its downloads and correction link name the date."""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import DATA, Server, csv_bytes, shot, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

FORM = "https://forms.example/new?id={id}&link={link}"
NEW_DATA = csv_bytes(
    "F-1,First replacement row,security,Policing,completed,2026-01-01,https://example.org/1",
    "F-2,Second replacement row,security,Trade,completed,2025-10-01,https://example.org/2",
)


@pytest.fixture
def live(tmp_path):
    data = tmp_path / "initiatives.csv"
    shutil.copy(DATA, data)
    server = Server(env={"DASHBOARD_DATA": str(data), "DASHBOARD_CORRECTION_URL": FORM}).start()
    yield server, data
    server.stop()


def kpis(page) -> dict[str, str]:
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.first).to_be_visible()
    labels = metrics.get_by_test_id("stMetricLabel").all_inner_texts()
    values = metrics.get_by_test_id("stMetricValue").all_inner_texts()
    return dict(zip(labels, values))


def summary(page) -> str:
    return page.get_by_text(re.compile(r"\d+ of \d+ initiatives")).first.inner_text()


def share_links(page) -> list[str]:
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Share this view")).click()
    codes = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    expect(codes).to_have_count(2)
    links = [c.inner_text().strip() for c in codes.all()]
    page.keyboard.press("Escape")
    return links


def test_an_as_of_link_shows_the_same_kpis_after_the_data_changes(live, page):
    server, data = live
    page.goto(f"{server.url}/?pillar=security")
    wait_for_app(page)
    latest, dated = share_links(page)
    assert "asof" not in parse_qs(urlsplit(latest).query)
    assert parse_qs(urlsplit(dated).query) == {"asof": ["2026-11-25"], "pillar": ["security"]}

    page.goto(dated)
    wait_for_app(page)
    expect(page.get_by_text(re.compile("viewing the data as it was on Nov 25, 2026"))).to_be_visible()
    before, counted = kpis(page), summary(page)
    assert counted == "Security · 10 of 51 initiatives"
    shot(page, "asof-overview")

    tmp = data.with_suffix(".tmp")  # replace the file in one step, as a deploy would
    tmp.write_bytes(NEW_DATA)
    os.replace(tmp, data)
    page.reload()
    wait_for_app(page)
    assert kpis(page) == before and summary(page) == counted

    page.goto(latest)
    wait_for_app(page)
    expect(page.get_by_text("Security · 2 of 2 initiatives")).to_be_visible()
    assert kpis(page) != before
    assert page.get_by_text(re.compile("viewing the data as it was")).count() == 0


def test_the_banner_links_to_today_s_view_and_exports_name_the_date(live, page):
    server, _data = live
    page.goto(f"{server.url}/explorer?asof=2026-03-01&id=SE-POL-01")
    wait_for_app(page)
    expect(page.get_by_text("46 of 46 initiatives")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["asof"] == ["2026-01-15"]

    fix = page.get_by_role("link", name=re.compile("Suggest a correction"))
    form = parse_qs(urlsplit(fix.get_attribute("href")).query)
    assert form["id"] == ["SE-POL-01"]
    assert parse_qs(urlsplit(form["link"][0]).query) == {"asof": ["2026-01-15"], "id": ["SE-POL-01"]}
    shot(page, "asof-explorer-detail")

    for label, name in (
        ("CSV", "cmap-initiatives-as-of-2026-01-15.csv"),
        ("briefing", "cmap-briefing-as-of-2026-01-15.html"),
    ):
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(f"^Download {label}")).click()
        assert info.value.suggested_filename == name
    briefing = open(info.value.path(), encoding="utf-8").read()
    assert "the data as it was on Jan 15, 2026: the snapshot of that date" in briefing
    assert "asof=2026-01-15" in briefing  # its link back to the live view is the dated one

    today = page.get_by_role("link", name="See today's view").get_attribute("href")
    assert parse_qs(urlsplit(today).query) == {"id": ["SE-POL-01"]}  # the same view, without the date
    page.goto(today)
    wait_for_app(page)
    expect(page.get_by_text("51 of 51 initiatives")).to_be_visible()
    assert "asof" not in parse_qs(urlsplit(page.url).query)
