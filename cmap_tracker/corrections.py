"""The "Suggest a correction" link of an initiative: the operator's URL template (a new-issue page, a form, a
mailto) with the initiative's id, title, status and the view's link filled in, each percent-encoded."""

from __future__ import annotations

import re
from urllib.parse import quote

from .safe import form_url, plain

FIELDS = ("id", "title", "status", "link")
_FIELD = re.compile(r"\{(" + "|".join(FIELDS) + r")\}")


def correction_url(template: str, **values: str) -> str | None:
    """``template`` with each ``{id}``, ``{title}``, ``{status}`` and ``{link}`` replaced by its value,
    percent-encoded (so a title with ``&``, ``#``, quotes or line breaks stays one value); None when there is no
    template or it is not an http(s) or mailto URL (``safe.form_url``). Other braces are left as written."""
    if not form_url(template):
        return None
    filled = _FIELD.sub(lambda m: quote(plain(values.get(m.group(1), "")), safe=""), template.strip())
    return form_url(filled)
