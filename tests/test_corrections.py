"""The "Suggest a correction" link: the operator's template filled with percent-encoded values, http(s) or mailto
templates only, off when not configured."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from cmap_tracker import safe
from cmap_tracker.corrections import correction_url
from conftest import csv_bytes, run

GITHUB = "https://github.com/owner/repo/issues/new?title=Correction:+{id}&body=Initiative+{id}:+{title}%0AStatus:+{status}%0AView:+{link}%0ASource:+"
HOSTILE = 'He said "stop" & left #1\nthen <b>came</b> back 100% = ok?'
LINK = "https://tracker.example/explorer?asof=2026-01-15&id=X-1&pillar=security"


def test_every_value_stays_one_value_of_the_form():
    url = correction_url(GITHUB, id="X-1", title=HOSTILE, status="in_progress", link=LINK)
    assert url is not None
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "github.com", "/owner/repo/issues/new")
    assert parts.fragment == ""  # a '#' in the title did not end the URL
    query = parse_qs(parts.query)
    assert set(query) == {"title", "body"}  # a '&' in the title or the link added no parameter
    assert query["title"] == ["Correction: X-1"]
    assert query["body"] == [f"Initiative X-1: {HOSTILE}\nStatus: in_progress\nView: {LINK}\nSource: "]
    assert not any(c in url for c in ' "<>\n')


def test_a_mailto_template_is_filled_the_same_way():
    url = correction_url("mailto:fix@example.org?subject={id}&body={title}", id="X-1", title="a & b")
    assert url == "mailto:fix@example.org?subject=X-1&body=a%20%26%20b"


@pytest.mark.parametrize(
    "template",
    [
        "",
        "javascript:alert(document.cookie)//{id}",
        "JavaScript:alert(1)",
        " javascript:alert('{title}')",
        "data:text/html,<script>alert(1)</script>{id}",
        "vbscript:msgbox({id})",
        "file:///etc/passwd?{id}",
        "//evil.example/{id}",
        "https://has spaces.example/{id}",
    ],
)
def test_only_http_and_mailto_templates_make_a_link(template):
    assert correction_url(template, id="X-1", title="t", status="planned", link=LINK) is None


def test_form_links_allow_mailto_but_data_links_stay_http_only():
    assert safe.form_url("mailto:a@example.org") == "mailto:a@example.org"
    assert safe.form_url("https://example.org/x") == "https://example.org/x"
    assert safe.http_url("mailto:a@example.org") is None
    assert safe.form_url("javascript:alert(1)") is None


def _buttons(at):
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def test_the_detail_card_links_to_the_configured_form(tmp_path, monkeypatch):
    path = tmp_path / "hostile.csv"
    path.write_bytes(
        csv_bytes('X-1,"Roads & bridges #2, ""phase"" one",security,Policing,planned,2026-01-15,https://example.org/x')
    )
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    monkeypatch.setenv("DASHBOARD_CORRECTION_URL", GITHUB)
    at = run("explorer", id="X-1")
    assert not at.exception
    url = _buttons(at)["Suggest a correction"]
    body = parse_qs(urlsplit(url).query)["body"][0]
    assert body.startswith('Initiative X-1: Roads & bridges #2, "phase" one\nStatus: planned\n')


@pytest.mark.parametrize("template", [None, "javascript:alert(1)//{id}"])
def test_no_correction_link_when_off_or_not_a_web_or_mail_link(monkeypatch, template):
    if template is None:
        monkeypatch.delenv("DASHBOARD_CORRECTION_URL", raising=False)
    else:
        monkeypatch.setenv("DASHBOARD_CORRECTION_URL", template)
    at = run("explorer", id="SE-POL-01")
    assert not at.exception
    buttons = _buttons(at)
    assert "Open the source" in buttons and "Suggest a correction" not in buttons
