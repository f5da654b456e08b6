"""The design's invariants, checked on the source: where SQL may run, which modules may import
typer and aiohttp's server, that sources never reach the store, and that no modules import
each other in a circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("lookup", "scrapers", "db")


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = modules()


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Modules ``path`` imports (``from a import b`` counts as ``a`` and, if it is a module, ``a.b``).
    With ``top_level_only``, imports inside functions and ``if TYPE_CHECKING`` are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = True
            if isinstance(child, ast.Import) and not (top_level_only and nested):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not (top_level_only and nested):
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def is_in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


FRONT_ENDS = ("lookup.cli", "lookup.server")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_typer_and_aiohttp_web_only_in_the_front_ends(name: str) -> None:
    if any(is_in(name, f) for f in FRONT_ENDS):
        return
    used = imports(MODULES[name])
    assert not any(is_in(m, "typer") or is_in(m, "click") for m in used), f"{name} imports typer"
    assert not any(is_in(m, "aiohttp.web") for m in used), f"{name} imports aiohttp.web"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if not any(is_in(m, f) for f in FRONT_ENDS)))
def test_the_domain_does_not_import_a_front_end(name: str) -> None:
    used = imports(MODULES[name])
    assert not [m for m in used if any(is_in(m, f) for f in FRONT_ENDS)], f"{name} imports a front end"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if is_in(m, "scrapers")))
def test_sources_never_import_the_store(name: str) -> None:
    assert not [m for m in imports(MODULES[name]) if is_in(m, "db")], f"{name} imports db"


FORMATS = ("lookup.blocklists", "lookup.calllogs")


@pytest.mark.parametrize("name", sorted(m for m in MODULES if any(is_in(m, f) for f in FORMATS)))
def test_file_formats_never_import_a_source(name: str) -> None:
    """Export, import and call-log formats share facts with sources through neutral modules
    (``lookup.ftc_columns``), never by importing a scraper."""
    assert not [m for m in imports(MODULES[name]) if is_in(m, "scrapers")], f"{name} imports a source"


SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK)\s+[\w*(]")
# The iPhone's CallHistory.storedata is a SQLite file of the user's: its reader queries that
# file (read-only), never the store.
FOREIGN_SQLITE_READERS = {"lookup.calllogs.ios_callhistory"}


@pytest.mark.parametrize("name", sorted(m for m in MODULES if not is_in(m, "db") and m not in FOREIGN_SQLITE_READERS))
def test_no_sql_outside_db(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    statements = [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value)
    ]
    calls = [
        ast.unparse(node) for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "executescript")
    ]
    assert not statements and not calls, f"{name} runs SQL: {(statements + calls)[:2]}"


def test_no_import_cycles() -> None:
    graph = {
        name: {m for m in imports(path, top_level_only=True) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }
    # A package's own __init__ is imported on the way to any of its modules; that is no cycle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not is_in(name, m)}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                walk(nxt)
        stack.pop()
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            walk(name)


def test_the_checks_see_the_code() -> None:
    """The scans above would pass on an empty tree: make sure they read the real one."""
    assert {"lookup.engine", "lookup.cli", "lookup.server.app", "scrapers.http", "db.store"} <= set(MODULES)
    assert "typer" in imports(MODULES["lookup.cli.common"])
    assert "db.store" in imports(MODULES["lookup.engine"])
