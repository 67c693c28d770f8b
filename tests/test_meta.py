"""Project rules from DESIGN.md that a machine can check."""

from __future__ import annotations

import ast
import re

import pytest

from dashboard import PROJECT_ROOT
from dashboard.core.pages import PAGES

PAGE_FILES = sorted((PROJECT_ROOT / "pages").glob("*.py"))
PACKAGE = PROJECT_ROOT / "dashboard"

# What each layer package may import (README, "Code map"). Lower layers never import higher ones.
LAYER_IMPORTS: dict[str, set[str]] = {
    "core": set(),
    "store": {"core"},
    "read": {"core", "store"},
    "accounts": {"core", "store"},
    "ingest": {"core", "store", "read", "analysis"},
    "analysis": {"core", "store", "read"},
    "present": {"core", "store", "analysis"},
    "export": {"core", "store", "read", "ingest", "analysis", "present"},
    "ops": {"core", "store", "read", "ingest", "accounts"},
    "web": {"core", "store", "accounts"},
    "app": {"core", "store", "read", "accounts", "ingest", "analysis", "present", "export", "ops", "web"},
}
TOP_LEVEL = {"__init__", "__main__", "cli"}  # dashboard/*.py: the CLI may use every layer but app


def _dashboard_imports(path, *, module_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import of a dashboard module in one file (`from dashboard import x` gives
    dashboard.x), including imports inside functions unless module_level_only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    if module_level_only:  # also imports under `if TYPE_CHECKING:` at module level
        nodes = [n for top in tree.body for n in ([top] if not isinstance(top, ast.If) else top.body)]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "dashboard"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dashboard":
            if node.module == "dashboard":
                found += [(node.lineno, f"dashboard.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _layer(module: str) -> str | None:
    """The layer package of a dotted module name (None for the package root and its constants)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in {"PROJECT_ROOT", "DATA_DIR", "__version__"}:
        return None
    return parts[1]


def layer_violations(root=PACKAGE) -> list[str]:
    """Imports of one layer package from another that it may not use."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if own in TOP_LEVEL:
            allowed = TOP_LEVEL | set(LAYER_IMPORTS) - ({"app"} if own == "cli" else set())
        else:
            assert own in LAYER_IMPORTS, f"dashboard/{rel}: a package that is not a layer (add it to the code map)"
            allowed = LAYER_IMPORTS[own]
        for line, module in _dashboard_imports(path):
            layer = _layer(module)
            if layer is not None and layer != own and layer not in allowed:
                problems.append(f"dashboard/{rel}:{line} imports {module}: {own} may import only {sorted(allowed)}")
    return problems


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
            assert node.module in {"__future__", "dashboard.app.auth"}, (
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


def test_layers_import_only_the_layers_below_them() -> None:
    assert layer_violations() == []


def test_the_layer_rule_catches_a_wrong_import(tmp_path) -> None:
    """The rule itself: a core module that imports the read layer is reported, and the same tree without it is not."""
    (tmp_path / "core").mkdir()
    (tmp_path / "read").mkdir()
    (tmp_path / "core" / "access.py").write_text("from dashboard.store import models\n")
    (tmp_path / "read" / "incidents.py").write_text("from dashboard.core import access\n")
    assert layer_violations(tmp_path) == ["dashboard/core/access.py:1 imports dashboard.store: core may import only []"]
    (tmp_path / "core" / "access.py").write_text("from dashboard import PROJECT_ROOT\n")
    assert layer_violations(tmp_path) == []


def test_no_import_loops_between_modules() -> None:
    """Module-level imports (type-only ones included) form no cycle: types live where both sides can import them."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PROJECT_ROOT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        modules = {m for _, m in _dashboard_imports(path, module_level_only=True)}
        graph[name] = {m for m in modules if (PROJECT_ROOT / (m.replace(".", "/") + ".py")).exists()}
    visiting, done, loops = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done:
            return
        if node in visiting:
            loops.append(" -> ".join([*trail[trail.index(node) :], node]))
            return
        visiting.add(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert loops == []


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.key)
def test_every_page_guard_names_the_permission_of_its_registry_entry(spec) -> None:
    tree = ast.parse(spec.path.read_text(encoding="utf-8"))
    call = tree.body[_guard_position(tree)].value
    assert [ast.unparse(a) for a in call.args] == [f"Permission.{spec.permission.name}"], spec.script


def test_only_the_app_package_imports_streamlit() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "app":
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
    users = [p for p in PACKAGE.rglob("*.py") if "all_organisations=True" in p.read_text()]
    assert [str(p.relative_to(PACKAGE)) for p in users] == ["read/datasets.py"]
