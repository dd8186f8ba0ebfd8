"""What only a browser shows: pages render charts, the URL follows the filters,
a copied link restores the view, and a click on a chart narrows it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import shot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = ["", "status", "timeline", "themes", "explorer", "data"]


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def pick(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=label).first
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()


def summary(page) -> str:
    return page.get_by_text(re.compile(r"\d+ of \d+ initiatives")).first.inner_text()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_a_chart_or_table_without_errors(server, page, path):
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    # a page with charts waits for one (its table may draw first); the others for a table
    page.wait_for_selector("[data-testid='stDataFrame']" if path in ("explorer", "data") else ".js-plotly-plot")
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    shot(page, f"page-{path or 'overview'}")


def test_changing_a_filter_updates_the_url(server, page):
    page.goto(f"{server.url}/status")
    wait_for_app(page)
    before = summary(page)
    pick(page, "Pillar", "Security")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('pillar=security')")
    wait_for_app(page)
    assert query(page)["pillar"] == ["security"]
    assert summary(page) != before and summary(page).startswith("Security")


def test_a_copied_link_restores_page_and_filters(server, browser):
    link = f"{server.url}/timeline?pillar=security&pillar=prosperity&status=planned&theme=energy"
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.goto(link)
    wait_for_app(pg)
    pg.wait_for_selector(".js-plotly-plot")
    text = summary(pg)
    assert text.startswith("Prosperity, Security · Planned · Energy")
    assert pg.get_by_test_id("stHeading").filter(has_text="Timeline").count() == 1
    # the address bar still carries every filter after the app has run
    q = query(pg)
    assert sorted(q["pillar"]) == ["prosperity", "security"] and q["status"] == ["planned"] and q["theme"] == ["energy"]
    # and a second, fresh browser context opening the same URL sees the same counts
    ctx2 = browser.new_context(viewport={"width": 1280, "height": 900})
    pg2 = ctx2.new_page()
    pg2.goto(pg.url)
    wait_for_app(pg2)
    assert summary(pg2) == text
    ctx.close()
    ctx2.close()


def test_share_popover_gives_the_link_of_this_exact_view(server, page):
    page.goto(f"{server.url}/timeline?status=planned")
    wait_for_app(page)
    pick(page, "Pillar", "Security")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('pillar=security')")
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Share this view")).click()
    code = page.get_by_test_id("stCode").first
    code.wait_for()
    link = code.inner_text().strip()
    assert urlparse(link).path.endswith("/timeline")
    assert parse_qs(urlparse(link).query) == {"pillar": ["security"], "status": ["planned"]}
    assert parse_qs(urlparse(link).query) == query(page)  # the same view as the address bar
    shot(page, "share-popover")


def test_filters_persist_when_switching_pages(server, page):
    page.goto(f"{server.url}/?pillar=environment")
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Explorer").click()
    page.wait_for_function("() => location.pathname.endsWith('/explorer')")
    wait_for_app(page)
    page.wait_for_function("() => location.search.includes('pillar=environment')")
    assert summary(page).startswith("Environment and Sustainability")


def click_first_bar(page) -> None:
    """Click the middle of the first bar of the page's first chart, as a person would."""
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.wait_for()
    box = chart.locator("g.trace.bars").first.locator("path").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_clicking_a_bar_in_the_status_chart_narrows_the_view(server, page):
    page.goto(f"{server.url}/")
    wait_for_app(page)
    before = summary(page)
    click_first_bar(page)  # the Completed segment of the first (Prosperity) bar
    page.wait_for_function("() => location.search.includes('status=')")
    wait_for_app(page)
    q = query(page)
    assert q.get("pillar") and q.get("status")
    after = summary(page)
    assert after != before
    shot(page, "after-bar-click")


def test_clicking_a_timeline_bar_opens_that_initiative(server, page):
    page.goto(f"{server.url}/timeline?pillar=security")
    wait_for_app(page)
    click_first_bar(page)
    page.wait_for_function("() => location.search.includes('id=SE-')")
    wait_for_app(page)
    ident = query(page)["id"][0]
    assert page.get_by_test_id("stHeading").filter(has_text=ident).count() == 1
    assert page.get_by_test_id("stLinkButton").count() >= 1  # the source link of the detail card
    shot(page, "timeline-detail")


def test_selecting_an_explorer_row_opens_its_detail_and_link(server, page):
    page.goto(f"{server.url}/explorer?pillar=environment")
    wait_for_app(page)
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    box = grid.bounding_box()
    # the row-selection checkbox column sits at the left edge; first data row below the header
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 18)
    page.wait_for_function("() => location.search.includes('id=EN-')")
    wait_for_app(page)
    ident = query(page)["id"][0]
    assert page.get_by_test_id("stHeading").filter(has_text=ident).count() == 1


def test_show_as_table_opens_a_readable_table_of_the_chart(server, page):
    page.goto(f"{server.url}/?pillar=security")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot")
    assert page.get_by_test_id("stTable").count() == 0  # built only when asked for
    page.get_by_test_id("stExpander").filter(has_text="Show as table").first.locator("summary").click()
    table = page.get_by_test_id("stTable").first
    table.wait_for(state="visible", timeout=20_000)
    text = table.inner_text()
    assert "Pillar" in text and "Security" in text and "security" not in text.replace("Security", "")
    assert table.locator("th").count() >= 3  # real header cells, for screen readers
    shot(page, "show-as-table")


def test_the_sector_tab_of_the_overview_draws_the_treemap(server, page):
    page.goto(f"{server.url}/")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot")
    assert page.locator(".js-plotly-plot .treemaplayer .slice").count() == 0
    page.get_by_role("tab", name="By sector").click()
    page.wait_for_selector(".js-plotly-plot .treemaplayer .slice", timeout=20_000)
    assert page.get_by_text("Pillars, sectors and initiatives").count() >= 1
    page.wait_for_function("() => new URL(location.href).searchParams.get('tab') === 'sector'")  # shareable
    shot(page, "overview-by-sector")
    page.goto(page.url)  # the link opens the same tab
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .treemaplayer .slice", timeout=20_000)


def test_emptying_the_theme_deep_dive_keeps_the_sidebar_filters(server, page):
    """The Themes page ends early ("Pick at least one theme") and still draws the
    sidebar: the same widgets, so its filters and the link keep their values."""
    page.goto(f"{server.url}/themes?pillar=mobility")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot")
    chosen = page.locator(".st-key-deep_themes")
    from playwright.sync_api import expect

    remove = chosen.locator("[aria-label^='Remove']")
    while n := remove.count():
        remove.first.click()
        expect(remove).to_have_count(n - 1)
        wait_for_app(page)
    page.get_by_text("Pick at least one theme.").wait_for()
    wait_for_app(page)
    assert query(page)["pillar"] == ["mobility"]
    assert summary(page).startswith("Mobility")
    assert "Mobility" in page.locator(".st-key-w_pillar").inner_text()
    shot(page, "themes-none-chosen")
