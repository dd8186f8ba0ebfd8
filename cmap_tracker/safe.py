"""Text from a file, a header, a file name or a link, made safe to show: every string that did not come from this
code goes through one of these before it reaches Markdown, a notice, a Plotly label or a link
(tests/test_display_rule.py fails when a page hands Streamlit a string built any other way)."""

from __future__ import annotations

import html
import re
import string
from urllib.parse import quote

# Bidirectional controls (ALM, LRM, RLM, embeddings, overrides, isolates): U+202E makes "\u202egnp.exe" read
# "exe.png". Removed from anything shown.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# CommonMark lets any ASCII punctuation be escaped with a backslash, and then shows it as itself: escaping all of
# it leaves no emphasis, link, image, HTML, autolink (``www\.x``, ``http\:``), heading, list, table, LaTeX ($) or
# directive (:red[…]).
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")
# GitHub-style literal autolinks ("http://…", "www.…", "name@host.org") are found after backslash escapes are
# resolved, so escaping alone still leaves a link: a word joiner (U+2060) after the scheme, "www" or "@" breaks it.
_AUTOLINK = re.compile(r"(?i)(\b(?:https?|ftp|mailto|xmpp)(?=:)|\bwww(?=\.)|@)")
HTTP_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)  # the one rule for links (str.match)
MAILTO_URL = re.compile(r"^mailto:[^\s<>\"]+$", re.IGNORECASE)
_URL_KEEP = "/:?#[]@!$&'*+,;=%~-._"  # RFC 3986 reserved and unreserved, less ( ) < > and spaces

NOTICE_CHARS = 80  # how much of a value from a link or a file a notice echoes


def plain(value: object) -> str:
    """``value`` as text with bidirectional and other control characters removed."""
    return _CONTROL.sub("", _BIDI.sub("", str(value)))


def clip(text: str, limit: int = NOTICE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md(value: object, limit: int | None = None) -> str:
    """``value`` as Markdown that shows it as plain text on one line: no markup, no link (not even a bare URL), no
    image. With ``limit``, cut to that many characters first."""
    text = _LINE_BREAK.sub(" ", plain(value))
    text = text if limit is None else clip(text, limit)
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub("\\1\u2060", text))


def md_format(template: str, **values: object) -> str:
    """A message (Markdown of this code's own, e.g. a translated string) with its ``{name}`` fields filled by
    ``values``, each escaped with ``md``."""
    return template.format(**{k: md(v) for k, v in values.items()})


def md_link(text: object, url: object) -> str:
    """A Markdown link that shows ``text`` as text and goes to ``url`` when it is an http(s) URL (else the text
    alone). Characters that could end the link early, such as ``)``, are percent-encoded."""
    href = http_url(url)
    return md(text) if href is None else f"[{md(text)}]({quote(href, safe=_URL_KEEP)})"


def plotly(value: str) -> str:
    """A string as Plotly text shows it: ``<``, ``>`` and ``&`` escaped, so a label is never bold, a link or an
    entity. Line breaks become Plotly's ``<br>``."""
    return _LINE_BREAK.sub("<br>", html.escape(plain(value), quote=False))


def http_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, else None: the one check for every link the dashboard shows or follows."""
    text = str(value or "").strip()
    return text if HTTP_URL.match(text) else None


def form_url(value: object) -> str | None:
    """``value`` when it is an http(s) or ``mailto:`` URL, else None: for a link the operator configures (the
    correction form), never for one from data. A mailto link from a data file could address a pre-written mail to
    anyone; an operator choosing where corrections go may rightly want one."""
    text = str(value or "").strip()
    return text if HTTP_URL.match(text) or MAILTO_URL.match(text) else None
