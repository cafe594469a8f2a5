"""The layering rules of DESIGN.md, checked by parsing the code (not by grepping it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "tests", "__pycache__", ".git", "artifacts", "data"}

SQL_CALLS = {"execute", "executemany", "sql", "query", "read", "read_df", "read_one", "fetch_df"}
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ", "CREATE ", "DROP ", "ALTER ")


def python_files(*folders: str) -> list[Path]:
    if not folders:
        return [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_ui_layers_import_streamlit():
    ui = {ROOT / "app.py"} | set(python_files("pages", "components"))
    offenders = [str(p.relative_to(ROOT)) for p in python_files() if "streamlit" in imported_modules(p) and p not in ui]
    assert offenders == []


def test_the_domain_layer_imports_neither_streamlit_nor_duckdb():
    offenders = [str(p.relative_to(ROOT)) for p in python_files("clinic") if {"streamlit", "duckdb"} & imported_modules(p)]
    assert offenders == []


def test_pages_hold_no_sql():
    offenders = []
    for path in python_files("pages"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"execute", "sql", "executemany"}:
                offenders.append(f"{path.name}:{node.lineno} calls .{node.func.attr}()")
            # Case-sensitive: SQL here is written with upper-case keywords ("With provider" is not SQL).
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lstrip().startswith(SQL_WORDS):
                offenders.append(f"{path.name}:{node.lineno} has SQL text")
            if isinstance(node, (ast.Import, ast.ImportFrom)) and "duckdb" in imported_modules_of(node):
                offenders.append(f"{path.name}:{node.lineno} imports duckdb")
    assert offenders == []


def imported_modules_of(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module.split(".")[0]}
    return set()


def _is_constant_name(node: ast.AST) -> bool:
    # Module-level constants such as _SELECT or COLUMNS hold fixed SQL text, never values.
    return isinstance(node, ast.Name) and node.id.lstrip("_").isupper()


def _unsafe_sql_argument(node: ast.AST) -> str | None:
    """Why an argument passed to an SQL call is built unsafely, or None when it is fine."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return ".format()"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for side in (node.left, node.right):
            if isinstance(side, ast.BinOp):
                reason = _unsafe_sql_argument(side)
                if reason:
                    return reason
            elif not (isinstance(side, ast.Constant) and isinstance(side.value, str)) and not _is_constant_name(side):
                return "+ with a non-constant"
    return None


def test_sql_is_never_built_from_values():
    offenders = []
    for path in python_files() + python_files("tests"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in SQL_CALLS:
                continue
            for arg in node.args[:2]:
                reason = _unsafe_sql_argument(arg)
                if reason:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}() with {reason}")
    assert offenders == []


@pytest.mark.parametrize(
    "code, unsafe",
    [
        ("cur.execute(" + "f'SELECT * FROM t WHERE id = {x}')", True),  # split: a grep must not flag this line
        ("cur.execute('SELECT * FROM t WHERE id = %s' % x)", True),
        ("cur.execute('SELECT * FROM t WHERE id = ' + x)", True),
        ("cur.execute('SELECT {}'.format(x))", True),
        ("read(conn, 'SELECT 1 ' + 'FROM t')", False),
        ("read(conn, _SELECT + ' WHERE id = ?', [x])", False),
        ("cur.execute('SELECT * FROM t WHERE id = ?', [x])", False),
    ],
)
def test_the_sql_check_tells_safe_from_unsafe(code, unsafe):
    call = ast.parse(code).body[0].value
    args = call.args[:2]
    assert any(_unsafe_sql_argument(a) for a in args) is unsafe


def test_only_db_session_reads_the_database_path_setting():
    offenders = []
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        if ("CLINICDESK_DB" in text or '"db_path"' in text) and path != ROOT / "components" / "db_session.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_page_file_is_in_the_navigation_and_the_access_table():
    from clinic.access import PAGES

    app = (ROOT / "app.py").read_text(encoding="utf-8")
    for path in (ROOT / "pages").glob("*.py"):
        assert f'"pages/{path.name}"' in app, f"{path.name} is not listed in app.py"
        assert path.stem in PAGES, f"{path.stem} has no row in clinic.access.PAGES"
    for key in PAGES:
        assert (ROOT / "pages" / f"{key}.py").exists(), f"access table names a missing page {key}"
