"""The layering rules of DESIGN.md, checked on the real tree by parsing the code with ``ast``.

Each check is a function of the project root that returns the violations it finds, so
tests/test_architecture_planted.py runs the very same checks on a temporary copy with a violation
planted in it. How SQL is recognised (text, calls, unsafe building) lives in
tests/test_architecture_sql.py.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.test_architecture_sql import db_access_problems, sql_texts, unsafe_sql_problems

ROOT = Path(__file__).resolve().parent.parent

# Violations in the tree today: being removed in issue 7. One entry per violation, written
# "path: rule: detail" (no line numbers, so edits elsewhere in a file keep it valid). Delete an
# entry when its code is fixed: the test fails when an entry matches nothing, so this list only
# shrinks; it also fails on any violation not listed here.
KNOWN_VIOLATIONS: tuple[str, ...] = ()

# Which of our own top-level packages each layer may import. Nothing imports pages: app.py names
# them only as paths in st.navigation. A new top-level package fails until it has a row here.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "app": frozenset({"components", "db", "clinic"}),
    "pages": frozenset({"components", "db", "clinic"}),
    "components": frozenset({"components", "db", "clinic"}),
    "db": frozenset({"db", "clinic"}),
    "clinic": frozenset({"clinic"}),
    "demo": frozenset({"demo", "db", "clinic"}),
    # manage.py bench hands its options to bench/ (the benchmark).
    "manage": frozenset({"bench", "demo", "db", "clinic"}),
    "bench": frozenset({"bench", "demo", "db", "clinic"}),
    "tests": frozenset({"tests", "app", "manage", "bench", "demo", "components", "db", "clinic"}),
}
UI_LAYERS = ("app", "pages", "components")
# Outside the tests, the one file that drives the app through Streamlit's AppTest harness (the
# benchmark's warm reruns of whole pages): like tests/pages it imports streamlit to run the UI
# (never to draw one) and points the app at its database with CLINICDESK_DB. It may also import
# components, as the page tests do: the menu's pages (components.nav) and the connection it records
# the page's SQL on (components.db_session).
APPTEST_DRIVERS = frozenset({"bench/pages.py"})
# The benchmark's browser part starts the real server (streamlit run) on the benchmark's database:
# it names the database path setting to point the server at that file, as the browser tests do.
APP_LAUNCHERS = frozenset({"bench/browser.py"})
SKIP_DIRS = {".venv", "venv", "__pycache__", ".git", "artifacts", "data", "node_modules", "build", "dist"}
DB_SESSION = "components/db_session.py"
DB_PATH_SETTINGS = {"CLINICDESK_DB", "db_path"}


class Violation(NamedTuple):
    path: str  # relative to the root, with forward slashes
    line: int
    rule: str  # the name of the check that found it
    detail: str

    @property
    def key(self) -> str:
        return f"{self.path}: {self.rule}: {self.detail}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.rule}: {self.detail}"


# --- reading the tree ------------------------------------------------------------------------


def python_files(root: Path) -> list[Path]:
    """Every .py file of the project, tests included; skips virtualenvs, caches and data."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if f.endswith(".py")]
    return found


def rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def layer_of(relpath: str) -> str:
    """The layer a file belongs to: its top-level folder, or its own name for app.py and manage.py."""
    return relpath.split("/")[0].removesuffix(".py")


_TREES: dict[str, ast.Module] = {}


def parsed(root: Path) -> Iterator[tuple[str, str, ast.Module]]:
    """(relative path, digest of the source, syntax tree) of every file; equal sources parse once."""
    for path in python_files(root):
        try:
            source = path.read_bytes()
        except FileNotFoundError:  # moved away by a colleague while we walked the tree
            continue
        digest = hashlib.sha1(source).hexdigest()
        if digest not in _TREES:
            _TREES[digest] = ast.parse(source, filename=str(path))
        yield rel(root, path), digest, _TREES[digest]


def package_of(relpath: str) -> list[str]:
    """The dotted package a file lives in, as parts ("db/x.py" -> ["db"]; "app.py" -> [])."""
    return relpath.removesuffix(".py").split("/")[:-1]


def resolve_from(node: ast.ImportFrom, relpath: str) -> str:
    """The absolute module of a ``from ... import``; relative dots resolved against the file's package.

    Dots that climb above a top-level package land at the project root, so ``from .. import db``
    written in clinic/x.py resolves to "" (and its names, here ``db``, are the modules imported).
    """
    if node.level == 0:
        return node.module or ""
    package = package_of(relpath)
    keep = package[: max(len(package) - (node.level - 1), 0)]
    return ".".join(keep + ([node.module] if node.module else []))


def imports(tree: ast.Module, relpath: str) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted module) for every import, including ones inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(node, relpath)
            if base:
                yield node.lineno, base
            else:
                for alias in node.names:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            yield node.lineno, node.args[0].value


def _dynamic_import(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return (name in {"import_module", "__import__"} and bool(call.args)
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def own_packages(root: Path) -> set[str]:
    """Top-level names that are ours: the layers above plus any folder or module found at the root."""
    return set(MAY_IMPORT) | {layer_of(rel(root, p)) for p in python_files(root)}


# --- the checks --------------------------------------------------------------------------------

_JUDGED: dict[tuple, list[Violation]] = {}


def per_file(judge: Callable[[str, ast.Module, frozenset[str]], Iterator[tuple[int, str]]]):
    """Make a check of a whole tree from a judge of one file, which yields (line, detail).

    A file's verdict depends only on its path, its source and which top-level names are ours, so
    it is kept: a planted copy of the tree costs only the parse of the planted file.
    """

    @functools.wraps(judge)
    def check(root: Path) -> list[Violation]:
        ours = frozenset(own_packages(root))
        found = []
        for relpath, digest, tree in parsed(root):
            key = (judge.__name__, relpath, digest, ours)
            if key not in _JUDGED:
                _JUDGED[key] = [Violation(relpath, line, judge.__name__, d) for line, d in judge(relpath, tree, ours)]
            found += _JUDGED[key]
        return found

    return check


@per_file
def layer_imports(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Imports between our own packages point down the layers; nothing imports pages."""
    layer = layer_of(relpath)
    allowed = MAY_IMPORT.get(layer)
    if allowed is None:
        yield 1, f"{layer} has no row in MAY_IMPORT"
        return
    if relpath in APPTEST_DRIVERS:
        allowed = allowed | {"components"}
    for line, module in imports(tree, relpath):
        target = module.split(".")[0]
        if target in ours and target not in allowed:
            yield line, f"{layer} may not import {target} ({module})"


@per_file
def library_imports(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Only the UI layers import streamlit; neither the UI nor clinic/ imports duckdb."""
    layer = layer_of(relpath)
    if layer == "tests":
        return
    for line, module in imports(tree, relpath):
        top = module.split(".")[0]
        if top.startswith("streamlit") and layer not in UI_LAYERS and relpath not in APPTEST_DRIVERS:
            yield line, f"{layer} imports {top}"
        if top == "duckdb" and layer in (*UI_LAYERS, "clinic"):
            yield line, f"{layer} imports duckdb"


@per_file
def sql_in_ui(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Pages and components hold no SQL text, in any letter case."""
    if layer_of(relpath) in ("pages", "components"):
        for line, text in sql_texts(tree):
            yield line, f"SQL text {text.strip()[:40]!r}"


@per_file
def db_access_in_ui(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Pages and components call db/ functions, never cursors, raw queries or db's SQL helpers.

    components/db_session.py opens the connection, so it alone may use ``db.connect``.
    """
    if layer_of(relpath) in ("pages", "components"):
        allowed = {"connect"} if relpath == DB_SESSION else set()
        yield from db_access_problems(tree, lambda node: resolve_from(node, relpath), allowed)


@per_file
def unsafe_sql(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """No SQL built from values (f-string, %, .format, + with a non-constant), however it is passed."""
    yield from unsafe_sql_problems(tree)


@per_file
def db_path_setting(relpath: str, tree: ast.Module, ours: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Only components/db_session.py names the database path setting."""
    if relpath != DB_SESSION and layer_of(relpath) != "tests" and relpath not in APPTEST_DRIVERS | APP_LAUNCHERS:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in DB_PATH_SETTINGS:
                yield node.lineno, f"reads {node.value}"


CHECKS: tuple[Callable[[Path], list[Violation]], ...] = (
    layer_imports, library_imports, sql_in_ui, db_access_in_ui, unsafe_sql, db_path_setting,
)


def all_violations(root: Path) -> list[Violation]:
    return [v for check in CHECKS for v in check(root)]


def unexpected(found: list[Violation], known: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(violations not in ``known``, entries of ``known`` that match nothing), counting repeats."""
    have, allowed = Counter(v.key for v in found), Counter(known)
    new = [str(v) for v in found if v.key in have - allowed]
    stale = sorted((allowed - have).elements())
    return new, stale


# --- the tests on the real tree ---------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_tree_breaks_the_rule_only_where_a_known_violation_is_being_removed(check):
    found = check(ROOT)
    known = [k for k in KNOWN_VIOLATIONS if k.split(": ")[1] == check.__name__]
    new, stale = unexpected(found, known)
    assert new == [], f"{check.__doc__}\nnew violations:\n" + "\n".join(new)
    assert stale == [], "fixed, so delete from KNOWN_VIOLATIONS:\n" + "\n".join(stale)


def test_every_known_violation_names_a_check_that_exists():
    names = {check.__name__ for check in CHECKS}
    assert [k for k in KNOWN_VIOLATIONS if k.count(": ") < 2 or k.split(": ")[1] not in names] == []


def test_every_layer_of_the_design_has_a_row_in_the_import_table():
    assert {"app", "pages", "components", "db", "clinic", "demo", "manage", "bench"} <= set(MAY_IMPORT)
    assert all("pages" not in allowed for allowed in MAY_IMPORT.values())


def test_every_page_file_is_in_the_navigation_and_the_access_table():
    from clinic.access import PAGES

    from components.nav import SECTIONS

    menu = {path for pages in SECTIONS.values() for _, path, _, _ in pages}
    for path in (ROOT / "pages").glob("*.py"):
        assert f"pages/{path.name}" in menu, f"{path.name} is not in the menu (components.nav.SECTIONS)"
        assert path.stem in PAGES, f"{path.stem} has no row in clinic.access.PAGES"
    for key in PAGES:
        assert (ROOT / "pages" / f"{key}.py").exists(), f"access table names a missing page {key}"
