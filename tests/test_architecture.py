"""The direction of imports: rules stay pure, pages stay thin, the package has no cycle.

Every check reads the source with ``ast`` (no import is executed) and counts every import of
a file, those inside functions included: a function-level import still ties two modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "observatory"
PURE = ["model.py", "maturity.py", "filters.py", "distances.py", "catalogue.py", "demo.py",
        "coverage.py", "itinerance.py", "partners.py", "eligibility.py", "indicators.py",
        "evolution.py", "consortia.py", "equipment.py", "calls.py", "bundle.py", "snapshots.py",
        "routing.py", "osm.py", "programmes.py"]
# Modules that may read os.environ themselves, and why. Every other setting is read once, by
# observatory/settings.py, and passed on as a typed Settings.
ENVIRON_ALLOWED = {
    "observatory/settings.py": "the one reader of the environment",
    # `observatory serve` starts Streamlit in a subprocess: it hands it this environment with
    # OBSERVATORY_DB set to the database it chose (the app then reads it through settings).
    "observatory/cli.py:cmd_serve": "passes the environment on to the Streamlit subprocess",
    # OBSERVATORY_TEST_IMPORT_DELAY: a pause only the durability tests set, to kill an import
    # midway; not a setting of the observatory, so not in SETTINGS nor documented for users.
    "observatory/store/imports.py:_pause": "test-only pause, not a setting",
    # pg_dump/pg_restore/psql get this environment plus PGPASSWORD: the password must not be
    # on their command line, where other accounts read it in the process list.
    "observatory/store/pgdump.py:_run": "passes the environment on to pg_dump with PGPASSWORD",
}


# --- reading imports ----------------------------------------------------------------------

def module_name(path: Path) -> str:
    """``observatory/store/db.py`` → ``observatory.store.db``; a package's ``__init__`` → it."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module of ``from … import``, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` names in an import, and ``module.name`` for each ``from`` name
    (so that ``from observatory.store import db`` is seen as ``observatory.store.db``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    importer, is_package = module_name(path), path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, importer, is_package)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def imported_modules(path: Path) -> set[str]:
    """The modules named by the imports of ``path`` (``from`` names not expanded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    importer, is_package = module_name(path), path.name == "__init__.py"
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(_absolute(node, importer, is_package))
    return names


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of observatory/ it imports (a ``from`` name that is a submodule
    points at that submodule; any other name at the module it comes from)."""
    modules = package_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(path):
            if imported in modules:
                targets.add(imported)
        # ``from pkg import sub`` adds both pkg and pkg.sub: the package is only a target
        # when something other than a submodule is taken from it.
        for target in list(targets):
            subs = {t for t in targets if t.startswith(target + ".")}
            if subs and not _takes_non_module_names(path, target, modules):
                targets.discard(target)
        targets.discard(name)
        graph[name] = targets
    return graph


def _takes_non_module_names(path: Path, package: str, modules: dict[str, Path]) -> bool:
    """Whether ``path`` imports ``package`` itself (``import pkg``, or a name of its
    ``__init__`` that is not a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    importer, is_package = module_name(path), path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == package for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and _absolute(node, importer, is_package) == package:
            if any(f"{package}.{a.name}" not in modules for a in node.names):
                return True
    return False


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one module (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_cycle(graph: dict[str, set[str]], component: Iterable[str]) -> list[str]:
    """One import cycle through ``component``, as a path a → b → … → a."""
    members = set(component)
    start = min(members)
    path, seen = [start], {start}

    def walk(node: str) -> list[str] | None:
        for target in sorted(graph[node] & members):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                path.append(target)
                cycle = walk(target)
                if cycle:
                    return cycle
                path.pop()
        return None

    return walk(start) or sorted(members)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- the checks ---------------------------------------------------------------------------

def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_relative_and_from_imports_are_resolved(tmp_path):
    assert module_name(PACKAGE / "store" / "__init__.py") == "observatory.store"
    node = ast.parse("from . import db").body[0]
    assert _absolute(node, "observatory.store.places", False) == "observatory.store"
    assert _absolute(node, "observatory.store", True) == "observatory.store"
    node = ast.parse("from ..errors import StoreError").body[0]
    assert _absolute(node, "observatory.store.db", False) == "observatory.errors"


def test_no_import_cycle_inside_observatory():
    graph = import_graph()
    cycles = [" → ".join(a_cycle(graph, c)) for c in strongly_connected(graph)]
    assert cycles == [], "cycles d'import :\n" + "\n".join(cycles)


def test_exports_never_import_the_streamlit_ui():
    offenders = sorted(
        f"{rel(path)} → {m}" for path in (PACKAGE / "exports").rglob("*.py")
        for m in imports_of(path) if m == "observatory.ui" or m.startswith("observatory.ui."))
    assert offenders == [], "exports/ importe observatory/ui :\n" + "\n".join(offenders)


def test_pages_and_cli_use_the_service_and_settings_not_store_submodules():
    """A page or a CLI command is parse → use case (observatory.service) → show; the SQL
    modules of observatory/store/ are the service's business."""
    store_modules = {m for m in package_modules() if m.startswith("observatory.store.")}
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted(PACKAGE.glob("cli*.py"))]
    offenders = sorted(f"{rel(path)} → {m}" for path in files
                       for m in imports_of(path) if m in store_modules)
    assert offenders == [], "store.* importé par une page ou la CLI :\n" + "\n".join(offenders)


def test_observatory_outside_ui_never_imports_streamlit():
    offenders = [
        rel(path) for path in PACKAGE.rglob("*.py")
        if "ui" not in path.relative_to(PACKAGE).parts
        and any(m.split(".")[0] == "streamlit" for m in imported_modules(path))
    ]
    assert offenders == []


def test_service_settings_and_formatting_never_import_streamlit():
    files = [*sorted((PACKAGE / "service").rglob("*.py")), PACKAGE / "settings.py",
             PACKAGE / "formatting.py", PACKAGE / "errors.py"]
    assert (PACKAGE / "service").is_dir()
    offenders = [rel(p) for p in files
                 if any(m.split(".")[0] == "streamlit" for m in imported_modules(p))]
    assert offenders == []


def environ_reads(path: Path) -> list[str]:
    """Where ``path`` reads the environment: ``file:function`` (or ``file`` at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where: list[str] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        reads = (
            (isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}
             and isinstance(node.value, ast.Name) and node.value.id == "os")
            or (isinstance(node, ast.ImportFrom) and node.module == "os"
                and any(a.name in {"environ", "getenv", "environb"} for a in node.names)))
        if reads:
            where.append(rel(path) + (f":{function}" if function else ""))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return where


def test_only_settings_reads_the_environment():
    found = sorted({w for path in PACKAGE.rglob("*.py") for w in environ_reads(path)})
    offenders = [w for w in found if w not in ENVIRON_ALLOWED
                 and w.split(":")[0] not in {k for k in ENVIRON_ALLOWED if ":" not in k}]
    assert offenders == [], "os.environ lu hors de observatory/settings.py : " + ", ".join(
        offenders)
    assert "observatory/settings.py" in {w.split(":")[0] for w in found}


def test_pure_rules_import_neither_store_nor_duckdb_nor_streamlit():
    for name in PURE:
        modules = imported_modules(PACKAGE / name)
        assert not any(m.split(".")[0] in {"duckdb", "streamlit"} for m in modules), name
        assert not any(m.startswith("observatory.store") for m in modules), name


def test_pages_and_app_never_touch_duckdb_or_sql():
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        modules = imported_modules(path)
        assert not any(m.split(".")[0] == "duckdb" for m in modules), path.name
        assert not any(m.startswith("observatory.store") and m != "observatory.store"
                       for m in modules), path.name
        text = path.read_text(encoding="utf-8")
        assert ".execute(" not in text and "SELECT " not in text, path.name
