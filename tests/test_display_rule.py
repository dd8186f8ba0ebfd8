"""The one rule for text on screen, checked on the source: every Streamlit call that
renders Markdown (a notice, a heading, a caption, a label, a tooltip) gets either a
literal message or text made by ``safe``. A new page that hands Streamlit a string
built from data or from the link fails here, before anyone opens it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p
    for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("cmap_tracker/**/*.py"), ROOT / "dashboard.py"]
    if "import streamlit" in p.read_text(encoding="utf-8")
)

# Streamlit calls whose first argument (or ``label``/``body``) is rendered as Markdown,
# and st.text, whose text is shown as is (bidi controls included).
MARKDOWN_CALLS = {
    "markdown",
    "write",
    "header",
    "subheader",
    "title",
    "caption",
    "warning",
    "info",
    "error",
    "success",
    "toast",
    "text",
    "badge",
    "expander",
    "popover",
    "button",
    "link_button",
    "page_link",
    "download_button",
    "metric",
    "checkbox",
    "toggle",
    "radio",
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "file_uploader",
    "slider",
    "tabs",
    "chat_message",
    "page",
    "opened",
    "titled_table",  # app's helpers, which hand their text to the calls above
}
MARKDOWN_KEYWORDS = {"body", "label", "help", "title", "caption"}
SAFE_FUNCTIONS = {"md", "md_format", "md_link", "plain"}  # cmap_tracker.safe
MESSAGE_FUNCTIONS = {"_", "N_"}  # a literal message id, translated


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_safe(node: ast.expr, trusted: frozenset[str] = frozenset()) -> bool:
    """Literal text, a translated literal message, or text made by ``safe``. Names in
    ``trusted`` are the parameters of a helper above, whose callers are checked."""
    if isinstance(node, ast.Name):
        return node.id in trusted
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float)) or node.value is None
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in MESSAGE_FUNCTIONS:
            return len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
        if name in SAFE_FUNCTIONS:
            # safe.md_format's template must itself be a literal message
            return name != "md_format" or (bool(node.args) and is_safe(node.args[0], trusted))
        if name == "join" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Constant):
            (arg,) = node.args
            if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                return is_safe(arg.elt, trusted)
            return isinstance(arg, (ast.List, ast.Tuple)) and all(is_safe(e, trusted) for e in arg.elts)
        return False
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) or is_safe(v.value, trusted) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return is_safe(node.left, trusted) and is_safe(node.right, trusted)
    if isinstance(node, ast.IfExp):
        return is_safe(node.body, trusted) and is_safe(node.orelse, trusted)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(is_safe(e, trusted) for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return is_safe(node.elt, trusted)
    return False


def unsafe_calls(source: str) -> list[str]:
    """Each call in ``source`` that renders something not known to be safe, as 'line: code'."""
    out: list[str] = []

    def visit(node: ast.AST, trusted: frozenset[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in MARKDOWN_CALLS:
            trusted = frozenset(a.arg for a in [*node.args.args, *node.args.kwonlyargs])
        if isinstance(node, ast.Call) and _name(node.func) in MARKDOWN_CALLS:
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in MARKDOWN_KEYWORDS)]
            if args[:1] and isinstance(args[0], ast.Name) and args[0].id == "_":
                args = args[1:]  # something.text(_): a message handed the translator, not rendered
            out.extend(f"{node.lineno}: {ast.unparse(node)[:120]}" for a in args if not is_safe(a, trusted))
        for child in ast.iter_child_nodes(node):
            visit(child, trusted)

    visit(ast.parse(source), frozenset())
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rendered_string_is_a_message_or_made_safe(path):
    assert unsafe_calls(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "code",
    [
        'st.warning(f"ignored: {value}")',
        'st.header(f"{ident} · {title}")',
        'st.info(_("Uploaded {name}").format(name=up.name))',
        'st.caption(row["source_note"])',
        'st.markdown("**" + title + "**")',
        'col.metric(label, 3, help=row["description"])',
        "st.error(safe.md_format(template_from_data, x=1))",
    ],
)
def test_the_rule_catches_data_in_markdown(code):
    """The check above can fail: each of these builds Markdown from a value."""
    assert unsafe_calls(code)


@pytest.mark.parametrize(
    "code",
    [
        'st.warning(_("Pick at least one theme."))',
        'st.header(safe.md(f"{ident} · {title}"))',
        'st.info(safe.md_format(_("Uploaded {name}"), name=up.name))',
        "st.markdown(f\"**{_('Pillar')}**  \\n{safe.md(label)}\")",
        'col.markdown("\\n\\n".join(safe.md(p) for p in parts))',
    ],
)
def test_the_rule_accepts_safe_text(code):
    assert unsafe_calls(code) == []
