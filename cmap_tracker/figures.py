"""What every figure shares: the escaped spec, layout, colours and date marks. A clickable
mark carries ``customdata`` ``[kind, value, ...]`` (e.g. ``["pillar", "security"]``), so a
click filters by id; status is never told by colour alone (names, hovers, patterns)."""

from __future__ import annotations

import functools
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from . import safe
from .i18n import _, month_names
from .plan import current
from .vocab import STATUSES

STATUS_COLORS = STATUSES.colors()
STATUS_PATTERNS = {
    "completed": "",
    "in_progress": "/",
    "ongoing": "x",
    "planned": ".",
    "delayed": "\\",
    "cancelled": "-",
    "unknown": "+",
}


def pillar_color(slug: object) -> str:
    """The current plan's colour for a pillar (grey for a slug it does not declare)."""
    return current().colors().get(str(slug), "#555555")


GANTT_MAX_BARS = 300  # a timeline draws one bar per initiative up to here, a treemap one box
FONT = "Source Sans Pro, Arial, sans-serif"
VALIDATE = False  # Plotly's property validation: off at run time, on in tests/test_figures.py
_TEMPLATES = frozenset({"hovertemplate", "texttemplate"})  # this module's own markup, with %{…} fields


def _spec(value, key: str = ""):
    """A spec of plain values (numpy arrays as lists, fastest for Plotly unvalidated),
    every string but the templates escaped by ``safe.plotly`` (customdata too: a click's
    values are matched against options escaped the same way); a line break is "\\n"."""
    if isinstance(value, str):
        return value if key in _TEMPLATES else safe.plotly(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":  # datetime64[ns] lists as integers; [us] as datetimes
            value = value.astype("datetime64[us]")
        return _spec(value.tolist(), key) if value.dtype.kind in "OUS" else value.tolist()
    if isinstance(value, dict):
        return {k: _spec(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_spec(v, key) for v in value]
    return value


class Figure(go.Figure):
    """A figure that is never changed once built (sessions share it). ``to_dict`` is its spec;
    the Plotly object behind the other attributes is made on first use: st.plotly_chart reads
    only ``to_dict``, and making the object and its deep copy cost 2 ms a figure (status by
    pillar, 51 rows), on every view not yet built (bench/README.md)."""

    def __init__(self, spec: dict, *, validate: bool = False):
        self.__dict__["_spec"] = spec
        if validate:
            self._build(validate=True)
            self.__dict__["_spec"] = super().to_dict()

    def _build(self, validate: bool = False) -> None:
        if "_built" not in self.__dict__:
            self.__dict__["_built"] = True  # first: the Plotly constructor's own lookups must not come back here
            super().__init__(self.__dict__["_spec"], _validate=validate)

    def __getattr__(self, name: str):
        """Called only for attributes not found: those of the Plotly object, made now."""
        if name.startswith("__") or "_built" in self.__dict__:
            raise AttributeError(name)
        self._build()
        return getattr(self, name)

    def to_dict(self) -> dict:
        return self.__dict__["_spec"]


def figure(data: list[dict], layout: dict) -> go.Figure:
    """The figure in one step, unvalidated unless ``VALIDATE``: validation costs 5-10 ms a
    figure per rerun and checks the spec's shape, fixed per builder (the tests compare)."""
    spec = {
        "data": _spec(data),
        "layout": {"template": _template({t.get("type", "scatter") for t in data}), **_spec(layout)},
    }
    return Figure(spec, validate=VALIDATE)


def _template(types: set[str]) -> dict:
    """The default template (Streamlit's, in the app) with trace defaults for ``types`` only:
    the others would add 2.2 kB to every chart on every rerun. Shared by the figures that
    use it (read only): its deep copy is 0.2-0.3 ms alone, but 5% of the server's samples on
    new overview views, collections its allocations set off included (bench/README.md)."""
    return _template_of(str(pio.templates.default), frozenset(types))


@functools.lru_cache(maxsize=64)
def _template_of(name: str, types: frozenset[str]) -> dict:
    template = pio.templates[name].to_plotly_json()
    data = {k: v for k, v in template.get("data", {}).items() if k in types}
    return {"layout": template.get("layout", {}), **({"data": data} if data else {})}


def layout(title: str, *, height: int | None = None, **kw) -> dict:
    """The shared layout; keyword arguments replace top-level keys."""
    return {
        # the title on its own line, the legend under it: on a phone both push the plot down
        "title": {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 12},
            "automargin": True,
        },
        "font": {"family": FONT, "size": 14},
        "margin": {"l": 8, "r": 8, "t": 24, "b": 8},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "title": {"text": ""},
            "traceorder": "normal",
        },
        "hoverlabel": {"namelength": -1},
        "height": height,
    } | kw


def empty(title: str, message: str | None = None) -> go.Figure:
    """A figure that says there is nothing to show, with no empty axes."""
    text = message or _("No initiatives match these filters.")
    note = label(0.5, 0.5, text, xref="paper", font={"size": 16})
    return figure([], layout(title, height=240, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}))


def shape(kind: str, x0, x1, y0=0, y1=1, *, xref: str = "x", yref: str = "paper", **style) -> dict:
    """A line or rectangle, by default from date ``x0`` to ``x1`` across the plot's height."""
    return {"type": kind, "x0": x0, "x1": x1, "xref": xref, "y0": y0, "y1": y1, "yref": yref, **style}


def label(x, y, text: str, *, xref: str = "x", yref: str = "paper", **style) -> dict:
    """A label at (``x``, ``y``); not add_vline's annotation, which mishandles date axes."""
    return {"x": x, "y": y, "xref": xref, "yref": yref, "text": text, "showarrow": False, **style}


def date_line(x, **style) -> dict:
    """A vertical line at date ``x`` across the plot's height."""
    return shape("line", x, x, **style)


def date_note(x, text: str, *, top: bool, **style) -> dict:
    """A label at date ``x``, at the top or the bottom of the plot."""
    return label(x, 1 if top else 0, text, yanchor="top" if top else "bottom", **style)


def short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def wrap(text: str, width: int, lines: int | None = None) -> str:
    """Break a label into lines of about ``width`` characters, at most ``lines`` of them (then '…')."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False, max_lines=lines, placeholder=" …")) or str(
        text
    )


def date_axis(start: pd.Timestamp, end: pd.Timestamp, **kw) -> dict:
    """A date axis from ``start`` to ``end``, with at most six quarterly ticks named in the
    current language; keyword arguments add keys."""
    names = month_names()
    ticks = pd.date_range(pd.Timestamp(start.year, 1 + 3 * ((start.month - 1) // 3), 1), end, freq="QS")
    ticks = ticks[:: max(1, -(-len(ticks) // 6))]
    text = [f"{names[t.month - 1]} {t.year}" for t in ticks]
    return {"type": "date", "range": [start, end], "tickvals": list(ticks), "ticktext": text, **kw}


def category_axis(top_down: list, **kw) -> dict:
    """A category axis listing ``top_down`` from the top, untitled."""
    return {"categoryorder": "array", "categoryarray": top_down[::-1], "title": {"text": ""}, "automargin": True, **kw}


def pattern(shape, **style) -> dict:
    """A bar pattern drawn over the bar's colour."""
    return {"shape": shape, "fillmode": "overlay", **style}
