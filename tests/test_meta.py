"""Project rules from DESIGN.md that a machine can check."""

from __future__ import annotations

import ast
import re

import pytest

from dashboard import PROJECT_ROOT
from dashboard.navigation import PAGES

PAGE_FILES = sorted((PROJECT_ROOT / "pages").glob("*.py"))
# bench.py drives the pages with AppTest in a child process; *_ui.py hold one page's widgets
STREAMLIT_ALLOWED = {"ui.py", "auth.py", "bench.py", "sharing_ui.py", "accounts_ui.py"}


def _guard_position(tree: ast.Module) -> int:
    """Index of the first statement that is neither the docstring nor an import."""
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and i == 0:
            continue
        if not isinstance(node, ast.Import | ast.ImportFrom):
            return i
    raise AssertionError("page has no statements")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_every_page_starts_with_the_access_guard(path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    position = _guard_position(tree)
    stmt = tree.body[position]
    call = stmt.value if isinstance(stmt, ast.Assign | ast.Expr) else None
    assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "require", (
        f"{path.name}: the first statement after the imports must be `viewer = require(Permission.X)`"
    )
    for node in tree.body[:position]:
        if isinstance(node, ast.ImportFrom):
            assert node.module in {"__future__", "dashboard.auth"}, (
                f"{path.name} imports {node.module} before the guard"
            )
        elif isinstance(node, ast.Import):
            pytest.fail(f"{path.name} imports before the guard")


def test_registry_and_pages_folder_agree() -> None:
    assert {p.path for p in PAGES} == set(PAGE_FILES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    assert len({p.key for p in PAGES}) == len(PAGES)
    assert sum(p.default for p in PAGES) == 1
    for path in PAGE_FILES:
        assert re.fullmatch(r"[a-z][a-z_]*\.py", path.name), f"{path.name}: no numeric prefixes or emoji"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_stay_thin_and_do_not_touch_data(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert not re.search(r"read_sql|read_csv|read_excel|\btext\(|\bselect\(|sqlalchemy", text)


def test_package_modules_do_not_import_streamlit() -> None:
    for path in (PROJECT_ROOT / "dashboard").rglob("*.py"):
        if path.name in STREAMLIT_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "streamlit" or n.startswith("streamlit.") for n in names), f"{path} imports streamlit"


def test_no_sql_built_with_f_strings() -> None:
    pattern = re.compile(r"""f["'][^"']*\b(SELECT|INSERT|UPDATE|DELETE)\b""")
    for path in [*(PROJECT_ROOT / "dashboard").rglob("*.py"), *PAGE_FILES, PROJECT_ROOT / "app.py"]:
        assert not pattern.search(path.read_text(encoding="utf-8")), f"{path}: use bound parameters"


def test_no_run_time_urls_to_outside_hosts() -> None:
    pattern = re.compile(r"https?://(cdn\.|fonts\.|unpkg|jsdelivr|cdnjs)")
    for path in [*(PROJECT_ROOT / "dashboard").rglob("*.py"), *PAGE_FILES, PROJECT_ROOT / "app.py"]:
        assert not pattern.search(path.read_text(encoding="utf-8")), str(path)


def test_requirements_are_pinned() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (PROJECT_ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-]*", line), (
                    f"{name}: {line} is not pinned"
                )


def test_streamlit_config_keeps_the_app_offline_and_quiet() -> None:
    import tomllib

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] in {"viewer", "minimal"}
    assert config["server"]["enableStaticServing"] is True
    assert config["logger"]["hideWelcomeMessage"] is True  # else Streamlit looks up the external IP online


def test_readme_gives_the_two_commands_that_ci_uses() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_the_all_organisations_viewer_is_used_only_for_upload_comparison() -> None:
    users = [p for p in (PROJECT_ROOT / "dashboard").rglob("*.py") if "all_organisations=True" in p.read_text()]
    assert [p.name for p in users] == ["queries.py"]
