"""The direction of imports: rules stay pure, pages stay thin."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE = ["model.py", "maturity.py", "filters.py", "distances.py", "catalogue.py", "demo.py",
        "coverage.py", "itinerance.py", "partners.py", "eligibility.py", "indicators.py",
        "evolution.py", "consortia.py", "equipment.py", "calls.py", "bundle.py", "snapshots.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_observatory_outside_ui_never_imports_streamlit():
    offenders = [
        str(path.relative_to(ROOT)) for path in (ROOT / "observatory").rglob("*.py")
        if "ui" not in path.relative_to(ROOT / "observatory").parts
        and any(m.split(".")[0] == "streamlit" for m in imported_modules(path))
    ]
    assert offenders == []


def test_pure_rules_import_neither_store_nor_duckdb_nor_streamlit():
    for name in PURE:
        modules = imported_modules(ROOT / "observatory" / name)
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
