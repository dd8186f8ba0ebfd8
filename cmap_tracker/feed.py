"""The Atom feed of what changed (``static/feed.xml``, served by Streamlit's static file serving): one entry per
initiative added, completed, changed status or slipped at each step between consecutive snapshots, each linking
to the dashboard's view of it as of that snapshot."""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from . import labels, safe
from .changes import Diff, diff
from .snapshots import ROOT, Snapshot
from .state import View

FEED_PATH = ROOT / "static" / "feed.xml"  # static/ beside dashboard.py, the folder Streamlit serves
FEED_URL = "app/static/feed.xml"  # where Streamlit serves it, relative to the dashboard's address
ATOM = "http://www.w3.org/2005/Atom"
TITLE = "Canada–Mexico Action Plan Tracker: what changed"
# entry kinds, in the order a step lists them, and the words an entry's title starts with
KINDS = {"added": "Added", "completed": "Completed", "status": "Status changed", "slipped": "End date moved later"}
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cmap-tracker:feed")  # entry ids: stable for the same change


@dataclass(frozen=True)
class Entry:
    kind: str  # a key of KINDS
    id: str  # the initiative's id
    title: str
    since: str  # the snapshot step it happened in
    until: str
    text: str  # what happened, in a sentence

    @property
    def urn(self) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self.since}/{self.until}/{self.kind}/{self.id}')}"

    def link(self, base_url: str = "") -> str:
        """The initiative's detail card on the Explorer, as of the snapshot it changed in."""
        query = View(id=self.id, asof=self.until).to_query()
        return f"{_root(base_url)}explorer?{urlencode(query, doseq=True)}"


def _root(base_url: str) -> str:
    """The dashboard's address: ``base_url``, else relative to the feed's own (``app/static/feed.xml``), which
    feed readers resolve against the address they read the feed from, whatever the host or base path."""
    return base_url.rstrip("/") + "/" if base_url else "../../"


def step_entries(d: Diff, titles: dict[str, str]) -> list[Entry]:
    """The entries of one step: every added and completed row, every other status change and every slipped end
    date (a row added as completed has both an 'added' and a 'completed' entry)."""

    def entry(kind: str, ident: str, text: str) -> Entry:
        return Entry(kind, ident, titles.get(ident, ident), d.since, d.until, text)

    status = labels.status
    flow = d.status_flow[d.status_flow["after"] != "completed"]
    return [
        *(entry("added", i, f"Added with status {status(s)}.") for i, s in zip(d.added["id"], d.added["status"])),
        *(
            entry("completed", i, f"Completed (was {status(b)})." if b else "Added as completed.")
            for i, b in zip(d.completions["id"], d.completions["before"])
        ),
        *(
            entry("status", i, f"Status changed from {status(b)} to {status(a)}.")
            for i, b, a in zip(flow["id"], flow["before"], flow["after"])
        ),
        *(
            entry("slipped", i, f"End date moved from {b:%Y-%m-%d} to {a:%Y-%m-%d} ({n} days later).")
            for i, b, a, n in zip(
                d.slippage["id"], d.slippage["before_end"], d.slippage["after_end"], d.slippage["days"]
            )
        ),
    ]


def entries(snapshots: Iterable[Snapshot]) -> Iterator[Entry]:
    """Every entry across the snapshots that loaded, newest step first."""
    usable = sorted((s for s in snapshots if s.result.ok), key=lambda s: s.date)
    for a, b in reversed(list(zip(usable, usable[1:]))):
        yield from step_entries(diff(a, b), dict(zip(b.frame["id"], b.frame["title"])))


def atom(snapshots: Iterable[Snapshot], base_url: str = "") -> bytes:
    """The feed as UTF-8 XML; every text goes through ElementTree's escaping, without control characters."""
    snaps = sorted(snapshots, key=lambda s: s.date)
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        node.text = safe.plain(text) if text else None
        return node

    root = ET.Element(f"{{{ATOM}}}feed")
    add(root, "id", f"urn:uuid:{_NAMESPACE}")
    add(root, "title", TITLE)
    add(root, "updated", f"{snaps[-1].date if snaps else '1970-01-01'}T00:00:00Z")
    add(add(root, "author"), "name", "Canada–Mexico Action Plan Tracker")
    add(root, "link", rel="self", href=f"{_root(base_url)}{FEED_URL}" if base_url else "feed.xml")
    add(root, "link", rel="alternate", href=f"{_root(base_url)}changes")
    for e in entries(snaps):
        node = add(root, "entry")
        add(node, "id", e.urn)
        add(node, "title", f"{KINDS[e.kind]}: {e.title} ({e.id})")
        add(node, "updated", f"{e.until}T00:00:00Z")
        add(node, "link", rel="alternate", href=e.link(base_url))
        add(node, "category", term=e.kind)
        add(node, "summary", f"{e.text} Between the snapshots of {e.since} and {e.until}.")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write(snapshots: Iterable[Snapshot], base_url: str = "", path: str | Path = FEED_PATH) -> Path:
    """(Re)write the feed at ``path``, replacing the old one in one step. ``base_url``, when given, must be an
    http(s) URL."""
    if base_url and safe.http_url(base_url) is None:
        raise ValueError(f"The dashboard's address must be an http(s) URL: {base_url!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(atom(snapshots, base_url))
    os.replace(tmp, path)
    return path
