"""Text from the URL, the data or a user is shown literally: no link, image, formatting or auto-linked address.

Three kinds of checks: the one helper (`dashboard.present.markdown.escape_markdown`) against hostile text, read the
way Streamlit's renderer reads it; a source scan that fails when a value reaches a Streamlit text element without
going through the helper; and AppTest runs of the three reported cases (a phishing `?period=`, an organisation name
and a username that are links).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.present.markdown import WORD_JOINER, escape_markdown

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
PHISHING = "**SESSION EXPIRED** [Re-enter your password here](https://evil.example/login)"
HOSTILE = [
    PHISHING,
    "![pixel](https://evil.example/p.png)",
    "Grid ISAC https://evil.example/login",
    "see www.evil.example",
    "write to help@evil.example",
    "<img src=https://evil.example/i.png> <b>bold</b> &amp;",
    "# Heading\n- list\n\n    code",
    "`code` _em_ ~~strike~~ $x^2$ | a | b |",
    ":red[coloured] :material/home: :streamlit: :smile:",
]

# ------------------------------------------------------------------------------------- the helper, read as rendered

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# What Streamlit's renderer (remark-gfm's mdast transform, Streamlit's own text plugins) links or replaces in the text
# that is left once backslash escapes are resolved; the patterns are the ones in its JavaScript bundle.
_AUTOLINK_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE | re.ASCII)
_AUTOLINK_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII)
_SHORTCODE = re.compile(r":[\w+/-]+:", re.ASCII)
_UNESCAPED_SPECIAL = re.compile(r"(?<!\\)[\[\]()!*_`#<>&|~$]")


def rendered_text(markdown: str) -> str:
    """The text Streamlit's renderer works on after the Markdown parser resolved the backslash escapes."""
    return _ESCAPE.sub(r"\1", markdown)


def displayed(markdown: str) -> str:
    """What a reader sees of escaped Markdown text: the escapes resolved, the invisible word joiners gone."""
    return rendered_text(markdown).replace(WORD_JOINER, "")


def assert_literal(markdown: str, value: str) -> None:
    """`markdown` shows `value` as literal text: escaped, nothing auto-linked, nothing lost."""
    assert _UNESCAPED_SPECIAL.search(markdown) is None, markdown
    assert not re.search(r"(?<!\\)\]\\?\(", markdown.replace("\\]\\(", "")), markdown  # no `](`: no link or image
    text = rendered_text(markdown)
    assert not _AUTOLINK_URL.search(text), f"{text!r} would be auto-linked"
    assert not _AUTOLINK_EMAIL.search(text), f"{text!r} would be auto-linked as an e-mail address"
    assert not _SHORTCODE.search(text), f"{text!r} holds an emoji or icon shortcode"
    shown = re.sub(r"\s+", " ", text.replace(WORD_JOINER, ""))
    assert re.sub(r"\s+", " ", value) in shown  # nothing lost, only escaped (a line break is a space)


@pytest.mark.parametrize("value", HOSTILE)
def test_escape_markdown_shows_hostile_text_literally(value: str) -> None:
    escaped = escape_markdown(value)
    assert "\n" not in escaped
    assert_literal(escaped, value)


def test_escape_markdown_keeps_plain_text_readable() -> None:
    assert escape_markdown("Grid ISAC") == "Grid ISAC"
    assert escape_markdown("Estonia-Latvia CERT") == "Estonia\\-Latvia CERT"
    assert escape_markdown("TLP:AMBER") == "TLP\\:AMBER"  # no word joiner where nothing would be linked
    assert escape_markdown(42) == "42"


def test_the_app_has_one_escaping_helper() -> None:
    from dashboard.app import widgets

    assert widgets.plain is escape_markdown


# ----------------------------------------------------------------------------------------------- the source scan

SOURCES = sorted([*(PROJECT_ROOT / "dashboard" / "app").glob("*.py"), *(PROJECT_ROOT / "pages").glob("*.py")])
ESCAPERS = {"escape_markdown", "plain"}
# Streamlit calls that render their text (first argument, and these keywords) as Markdown. Widget labels and help
# tooltips render Markdown too.
MARKDOWN_CALLS = set(
    "markdown write caption title header subheader info warning error success toast expander popover metric "
    "button download_button form_submit_button link_button checkbox toggle radio selectbox multiselect "
    "select_slider slider text_input text_area number_input date_input file_uploader".split()
)
MARKDOWN_KEYWORDS = {"label", "body", "help"}
# Our own functions that pass a text on to one of those calls: (positional indexes, keywords) checked at each call.
WRAPPERS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "page_link": ((), ("label",)),
    "show_once": ((0,), ()),
    "_show_password": ((2,), ()),
    "link": ((1,), ("label",)),
    "pick_one": ((0,), ()),
    "_choose_many": ((0,), ("help",)),
    "chart": ((), ("caption",)),
}
# Calls whose result is made of numbers and the names of our reference vocabularies only.
SAFE_CALLS = {
    "len": "a number",
    "int": "a number",
    "float": "a number",
    "round": "a number",
    "sum": "a number",
    "track_label": "a track name from data/reference/tracks.csv",
    "severity_label": "a severity name from data/reference/severity_levels.csv",
    "summary_note": "counts and fixed wording (dashboard/present/labels.py)",
    "inferred_links_note": "a count and fixed wording (dashboard/present/labels.py)",
    "committed_message": "counts, a layer id and a track name (upload_panel.committed_message)",
}
# Values that are neither escaped nor recognised as constants by the rules below, each with why it is safe.
# Keyed by (file, expression as written). Keep this list short: escaping is the default.
ALLOWED: dict[tuple[str, str], str] = {
    ("dashboard/app/auth.py", "viewer.role.value"): "a Role enum value",
    ("dashboard/app/auth.py", "cfg.session_idle_minutes"): "an integer setting",
    ("dashboard/app/auth.py", "sessions.MAX_HOURS"): "an integer constant",
    ("pages/ledger.py", "ledger_panel.PAGE_LIMIT"): "an integer constant",
    ("dashboard/app/browser_session.py", "target"): "our own route's path with a url-encoded ticket and path",
    ("dashboard/app/sessions_panel.py", "idle"): "an integer setting",
    ("dashboard/app/sessions_panel.py", "sessions.MAX_HOURS"): "an integer constant",
    ("dashboard/app/sessions_panel.py", "flash"): "fixed wording with a count",
    ("dashboard/app/auth.py", "spec.title"): "a page title from the registry (dashboard/core/pages.py)",
    ("dashboard/app/briefing_panel.py", "h.label"): "headline labels are fixed wording (dashboard/analysis/briefing)",
    ("dashboard/app/briefing_panel.py", "h.help"): "headline help texts are fixed wording",
    ("dashboard/app/briefing_panel.py", "fmt.upper()"): 'the loop runs over the constants "pdf" and "html"',
    ("dashboard/app/upload_panel.py", "layer"): "one of pipeline.LAYERS, chosen in a selectbox",
    ("dashboard/app/upload_panel.py", "prepared.table.file_format"): "a format name the reader sets (csv, xlsx, ...)",
    ("dashboard/app/upload_panel.py", "prepared.format_label"): "a preset's fixed name",
    ("dashboard/app/upload_panel.py", "note"): "fixed wording with counts (pipeline notes)",
    ("pages/upload.py", "layer"): "one of pipeline.LAYERS, chosen in a selectbox",
    ("pages/datasets.py", "str(track)"): "a track name from data/reference/tracks.csv (read.layer_counts)",
    ("pages/norms.py", "label"): "a framework name from data/reference/frameworks.csv",
    ("dashboard/app/watchlist_panel.py", "label"): "a signal kind's name (SIGNAL_KINDS)",
    # Wrappers: the text they forward is checked where they are called (WRAPPERS above).
    ("dashboard/app/widgets.py", "message"): "show_once: checked at each call",
    ("dashboard/app/accounts_panel.py", "what"): "_show_password: checked at each call",
    ("dashboard/app/widgets.py", "label"): "link, pick_one and kpi_row: checked at each call",
    ("dashboard/app/widgets.py", "help_text"): "kpi_row: checked at each call",
    ("dashboard/app/filter_bar.py", "label"): "_choose_many: checked at each call",
    ("dashboard/app/filter_bar.py", "help"): "_choose_many: checked at each call",
    ("dashboard/app/chart_panel.py", "caption"): "chart: checked at each call",
}


def _walk_local(node: ast.AST) -> list[ast.AST]:
    """The node and everything under it, without going into nested functions, lambdas or classes."""
    found = [node]
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            found += _walk_local(child)
    return found


class _Scope:
    """What the plain names of one function (or of the module) are assigned, to tell what a name holds."""

    UNKNOWN = ast.Name("?")  # bound from something not followed: a parameter, a loop or a with target

    def __init__(self, node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef, parent: _Scope | None) -> None:
        self.parent = parent
        self.values: dict[str, list[ast.expr]] = {}
        if not isinstance(node, ast.Module):
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                self._bind(arg.arg, self.UNKNOWN)
        for statement in node.body:
            for sub in _walk_local(statement):
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        self._bind_all(target, sub.value)
                elif isinstance(sub, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                    self._bind_all(sub.target, sub.value or ast.Constant(None))
                elif isinstance(sub, ast.For | ast.AsyncFor | ast.comprehension):
                    self._bind_all(sub.target, self.UNKNOWN)
                elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
                    self._bind_all(sub.optional_vars, self.UNKNOWN)

    def _bind(self, name: str, value: ast.expr) -> None:
        self.values.setdefault(name, []).append(value)

    def _bind_all(self, target: ast.AST, value: ast.expr) -> None:
        for name in ast.walk(target):  # a, b = value: each name holds part of the value
            if isinstance(name, ast.Name):
                self._bind(name.id, value)


def _is_number_spec(spec: ast.expr | None) -> bool:
    """A format spec only a number or a date takes (`,`, `.0%`, `%d %b %Y`, `g`): a string would raise."""
    if not isinstance(spec, ast.JoinedStr) or not all(isinstance(v, ast.Constant) for v in spec.values):
        return False
    text = "".join(str(v.value) for v in spec.values)
    return "%" in text or (bool(text) and text[-1] in "dfgeEFGnxXob,")


def _is_constant_name(name: str) -> bool:
    """MODULE_CONSTANTS by convention: fixed tables and wording (TLP_LABELS, TRACK_NAMES, SEVERITY_UNKNOWN, ...)."""
    return name.lstrip("_").isupper()


class _Checker:
    """Finds the values in Markdown text that are neither escaped, nor constants, nor numbers."""

    def __init__(self, rel: str, source: str) -> None:
        self.rel = rel
        self.tree = ast.parse(source)
        self.problems: list[str] = []

    def run(self) -> list[str]:
        parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}
        module = _Scope(self.tree, None)
        scopes: dict[ast.AST, _Scope] = {}

        def scope_of(node: ast.AST) -> _Scope:
            chain, parent = [], parents.get(node)
            while parent is not None:
                if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                    chain.append(parent)
                parent = parents.get(parent)
            scope = module
            for fn in reversed(chain):
                scope = scopes.setdefault(fn, _Scope(fn, scope))
            return scope

        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self._check_call(node, scope_of(node))
        return self.problems

    def _check_call(self, call: ast.Call, scope: _Scope) -> None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in MARKDOWN_CALLS:
            positions, keywords = (0,), tuple(MARKDOWN_KEYWORDS)
        elif name in WRAPPERS:
            positions, keywords = WRAPPERS[name]
        elif name == "kpi_row" and call.args:
            for item in self._items(call.args[0]):
                for i in (0, 2):
                    if isinstance(item, ast.Tuple) and len(item.elts) > i:
                        self._check_text(item.elts[i], scope)
            return
        else:
            return
        for i in positions:
            if i < len(call.args):
                self._check_text(call.args[i], scope)
        for kw in call.keywords:
            if kw.arg in keywords:
                self._check_text(kw.value, scope)

    @staticmethod
    def _items(node: ast.expr) -> list[ast.expr]:
        if isinstance(node, ast.List | ast.Tuple):
            return list(node.elts)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return [node.elt]
        return []

    def _check_text(self, node: ast.expr, scope: _Scope) -> None:
        for bad in self._unsafe(node, scope, depth=0):
            self.problems.append(f"{self.rel}:{bad.lineno}: {ast.unparse(bad)}")

    def _unsafe(self, node: ast.expr, scope: _Scope, depth: int) -> list[ast.expr]:
        """The parts of a text expression that may carry outside text unescaped (`depth`: names followed so far)."""
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.JoinedStr):
            return [bad for part in node.values for bad in self._unsafe(part, scope, depth)]
        if isinstance(node, ast.FormattedValue):
            if _is_number_spec(node.format_spec):
                return []
            return self._unsafe(node.value, scope, depth)
        if isinstance(node, ast.BinOp):
            return self._unsafe(node.left, scope, depth) + self._unsafe(node.right, scope, depth)
        if isinstance(node, ast.IfExp):
            return self._unsafe(node.body, scope, depth) + self._unsafe(node.orelse, scope, depth)
        if isinstance(node, ast.BoolOp):
            return [bad for value in node.values for bad in self._unsafe(value, scope, depth)]
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [bad for value in node.elts for bad in self._unsafe(value, scope, depth)]
        if isinstance(node, ast.Dict):
            return [bad for value in node.values if value is not None for bad in self._unsafe(value, scope, depth)]
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self._unsafe(node.elt, scope, depth)
        if (self.rel, ast.unparse(node)) in ALLOWED:
            return []
        if isinstance(node, ast.Call):
            return self._unsafe_call(node, scope, depth)
        if isinstance(node, ast.Subscript):  # an item of a constant table is a constant
            return [] if not self._unsafe(node.value, scope, depth) else [node]
        if isinstance(node, ast.Attribute):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            return [] if isinstance(root, ast.Name) and _is_constant_name(root.id) else [node]
        if isinstance(node, ast.Name):
            return [] if self._name_is_safe(node.id, scope, depth + 1) else [node]
        return [node]

    def _unsafe_call(self, node: ast.Call, scope: _Scope, depth: int) -> list[ast.expr]:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ESCAPERS or name in SAFE_CALLS:  # escape_markdown(x), len(x), upload_panel.committed_message(...)
            return []
        if isinstance(func, ast.Name) and name == "str" and node.args:
            return self._unsafe(node.args[0], scope, depth)
        if isinstance(func, ast.Attribute) and name == "join" and node.args:  # ", ".join(parts): each part
            return self._unsafe(func.value, scope, depth) + self._unsafe(node.args[0], scope, depth)
        if isinstance(func, ast.Attribute) and name in {"get", "lower", "upper", "capitalize", "strip", "title"}:
            parts = [func.value, *node.args]  # a method of a constant, with constant arguments
            return [node] if any(self._unsafe(p, scope, depth) for p in parts) else []
        return [node]

    def _name_is_safe(self, name: str, scope: _Scope | None, depth: int) -> bool:
        if _is_constant_name(name):
            return True
        if depth > 4:  # a name assigned from itself, or a long chain: not worth following
            return False
        while scope is not None and name not in scope.values:
            scope = scope.parent
        if scope is None:
            return False  # a parameter, an import or a loop variable: unknown
        values = scope.values[name]
        return all(not self._unsafe(v, scope, depth) for v in values)


def unescaped_values(path: Path, source: str | None = None) -> list[str]:
    """`file:line: expression` of each value that reaches a Markdown text element unescaped."""
    rel = str(path.relative_to(PROJECT_ROOT)) if path.is_absolute() else str(path)
    return _Checker(rel, source if source is not None else path.read_text(encoding="utf-8")).run()


def test_every_value_in_markdown_text_is_escaped() -> None:
    problems = [p for path in SOURCES for p in unescaped_values(path)]
    assert problems == [], (
        "values shown through Markdown without escape_markdown (dashboard/present/markdown.py); escape them, or "
        "if they are constants or numbers, say why in ALLOWED:\n" + "\n".join(problems)
    )


def test_the_scan_catches_an_unescaped_value() -> None:
    """The rule itself: the reported warning is caught, and the same code with the helper is not."""
    bad = "import streamlit as st\nfor w in warnings:\n    st.warning(f'Link filter ignored: {w}.')\n"
    good = bad.replace("{w}", "{escape_markdown(w)}")
    flash = "flash = st.session_state.pop('f', None)\nst.success(flash)\nst.caption('As ' + viewer.name)\n"
    constants = (
        "label = 'Sign out' if x else 'Close'\nst.button(label)\nst.caption(f'{TLP_LABELS[t]} {n:,} {d:%d %b %Y}')\n"
    )
    assert unescaped_values(Path("pages/x.py"), bad) == ["pages/x.py:3: w"]
    assert unescaped_values(Path("pages/x.py"), good) == []
    assert unescaped_values(Path("pages/x.py"), flash) == ["pages/x.py:2: flash", "pages/x.py:3: viewer.name"]
    assert unescaped_values(Path("pages/x.py"), constants) == []


def test_the_allowed_values_still_exist() -> None:
    """An entry of ALLOWED whose expression is gone from its file is removed, so the list stays short and true."""
    for rel, expression in ALLOWED:
        tree = ast.parse((PROJECT_ROOT / rel).read_text(encoding="utf-8"))
        assert any(ast.unparse(n) == expression for n in ast.walk(tree) if isinstance(n, ast.expr)), (rel, expression)


# ---------------------------------------------------------------------------------- the reported cases, on the pages


def _signed_in(viewer) -> AppTest:
    from tests.conftest import sign_in

    at = AppTest.from_file(APP, default_timeout=60)
    return sign_in(at, viewer)


def test_a_phishing_period_in_the_link_is_shown_as_text(app_engine: Engine) -> None:
    at = _signed_in(None)
    at.switch_page("pages/incidents.py")
    at.query_params["period"] = PHISHING
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning if "Link filter ignored" in w.value]
    assert len(warnings) == 1
    assert_literal(warnings[0].removeprefix("Link filter ignored: "), f"unknown period '{PHISHING}'.")


def test_an_unknown_country_in_the_link_is_shown_as_text(app_engine: Engine) -> None:
    at = _signed_in(None)
    at.switch_page("pages/country.py")
    at.query_params["country"] = "[X](https://evil.example)"
    at.run()
    warnings = [w.value for w in at.warning if "is not in the tracks shown" in w.value]
    assert warnings and "](" not in warnings[0] and not _AUTOLINK_URL.search(rendered_text(warnings[0]))


def test_an_organisation_name_with_a_link_is_shown_as_text_to_the_partner(app_engine: Engine) -> None:
    from dashboard.accounts import sharing
    from dashboard.core.access import local_admin
    from tests.conftest import TEST_SECRET

    organisation = "Grid ISAC [log in again](https://evil.example/login) https://evil.example"
    token = sharing.create_link(
        app_engine,
        local_admin(HOST),
        organisation=organisation,
        tracks=["eastern-europe"],
        tlp_ceiling="green",
        days=30,
        secret_key=TEST_SECRET,
    ).token
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/incidents.py")
    at.query_params["share"] = token
    at.run()
    assert not at.exception
    banner = next(i.value for i in at.info if i.value.startswith("Shared with"))
    shown = banner.removeprefix("Shared with **").split("** · read-only")[0]
    assert_literal(shown, organisation)
    signed_in_as = next(c.value for c in at.sidebar.caption if c.value.startswith("Signed in as"))
    assert_literal(signed_in_as.removeprefix("Signed in as **").split("** (partner)")[0], organisation)


def test_a_username_with_a_link_is_shown_as_text_in_the_administrators_flash(app_engine: Engine) -> None:
    from dashboard import accounts
    from dashboard.core.access import local_admin

    username = "[reset your password](https://evil.example/reset)"
    accounts.create_user(
        app_engine,
        username,
        role="official",
        tracks=["eastern-europe"],
        organisation=HOST,
        tlp_ceiling="green",
        password="a long enough password 1",
        actor=local_admin(HOST),
    )
    at = _signed_in(local_admin(HOST))
    at.switch_page("pages/accounts.py")
    at.run()
    at.button(key="account_toggle").click().run()
    assert not at.exception
    flash = at.success[0].value
    assert "disabled" in flash
    assert_literal(flash.split(" disabled")[0], username)
