"""Proof that the architecture checks bite: each violation is planted in a temporary copy of the tree.

The copy holds the application's own packages; a test adds (or appends to) one file there, runs
the same checks tests/test_architecture.py runs on the real tree, and asserts that the planted
lines are reported under the expected rule, and that clean code planted the same way is not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.test_architecture import ROOT, Violation, all_violations, unexpected

COPIED = ("app.py", "manage.py", "pages", "components", "db", "clinic", "demo", "bench")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the application's packages (the tests are not needed to judge them)."""
    root = tmp_path / "clinicdesk"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, root / name)
    return root


def plant(root: Path, relpath: str, code: str) -> list[Violation]:
    """Append ``code`` to a file of the copy (creating it) and return what the checks say of those lines."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    if before and not before.endswith("\n"):
        before += "\n"
    path.write_text(before + code, encoding="utf-8")
    first = before.count("\n") + 1
    planted = range(first, first + code.count("\n") + 1)
    return [v for v in all_violations(root) if v.path == relpath and v.line in planted]


PAGE_HEAD = "import db\nfrom components.db_session import get_conn\n\n"
FN_HEAD = "from db import read\n\n\n"
# f-string SQL is split across two literals here so that a grep of the tree does not flag it.
UNSAFE_VARIABLE = (
    "def remove(conn, table, row_id):\n    sql = " + "f'DELETE FROM {table} WHERE id = ?'\n\n"
    "    def write(cur):\n        cur.execute(sql, [row_id])\n\n    return write\n"
)
UNSAFE_KEYWORD = FN_HEAD + "def get(conn, pid):\n    return read(conn, sql=" + "f'SELECT * FROM t WHERE id = {pid}')\n"


def bad(relpath: str, code: str, rule: str | tuple, words: str | tuple, name: str):
    return pytest.param(relpath, code, rule, words, id=name)


VIOLATIONS = [
    bad("clinic/planted.py", "from db import patients\n", "layer_imports", "clinic may not import db",
        "clinic importing db"),
    bad("clinic/planted.py", "import components.forms\n", "layer_imports", "clinic may not import components",
        "clinic importing components"),
    bad("clinic/planted.py", "def f():\n    import db\n    return db\n", "layer_imports", "clinic may not import db",
        "clinic importing db inside a function"),
    bad("db/planted.py", "from components.text import md\n", "layer_imports", "db may not import components",
        "db importing components"),
    bad("db/planted.py", "import pages.home\n", "layer_imports", "db may not import pages", "db importing pages"),
    bad("db/planted.py", "from demo import seed\n", "layer_imports", "db may not import demo", "db importing demo"),
    bad("components/planted.py", "from pages import calendar\n", "layer_imports", "components may not import pages",
        "components importing pages"),
    bad("pages/planted.py", "from pages.home import main\n", "layer_imports", "pages may not import pages",
        "a page importing another page"),
    bad("db/planted.py", "import importlib\nui = importlib.import_module('components.forms')\n", "layer_imports",
        "db may not import components", "db importing components through importlib"),
    bad("clinic/planted.py", "from .. import components\n", "layer_imports", "clinic may not import components",
        "a relative import climbing from clinic to components"),
    bad("db/sub/planted.py", "from ...pages import home\n", "layer_imports", "db may not import pages",
        "a relative import climbing from db to pages"),
    bad("app.py", "from . import pages\n", "layer_imports", "app may not import pages",
        "app.py importing pages by a relative import"),
    bad("billing/planted.py", "X = 1\n", "layer_imports", "billing has no row", "a new package without a layer rule"),
    bad("pages/planted.py", PAGE_HEAD + "rows = db.read(get_conn(), 'select id, name from patients where id = 1')\n",
        ("sql_in_ui", "db_access_in_ui"), ("select id, name from patients", "uses db.read"),
        "lower-case SQL through db.read in a page"),
    bad("pages/planted.py", "from db import read as fetch\n", "db_access_in_ui", "imports db.read",
        "db.read imported under another name in a page"),
    bad("components/planted.py", "import db as store\n\ndef f(conn):\n    with store.transaction(conn) as cur:\n"
        "        return cur\n", "db_access_in_ui", "uses db.transaction",
        "db.transaction through an aliased db in a component"),
    bad("components/planted.py", "def f(conn):\n    return conn.execute(QUERY).fetchall()\n", "db_access_in_ui",
        "calls .execute()", "a cursor query in a component"),
    bad("components/db_session.py", "def rows(conn):\n    return db.read_df(conn, Q)\n", "db_access_in_ui",
        "uses db.read_df", "db_session doing more than connecting"),
    bad("components/planted.py", 'QUERY = "delete from appointments where id = $id"\n', "sql_in_ui",
        "delete from appointments", "SQL text in a component"),
    bad("pages/planted.py", "Q = ('Select id ' + 'FROM patients')\n", "sql_in_ui", "Select id",
        "SQL text split across a concatenation in a page"),
    bad("db/planted.py", UNSAFE_VARIABLE, "unsafe_sql", "execute() with f-string via variable sql",
        "an f-string SQL passed as a variable"),
    bad("db/planted.py", UNSAFE_KEYWORD, "unsafe_sql", "read(sql=) with f-string",
        "an f-string SQL passed as a keyword argument"),
    bad("db/planted.py", FN_HEAD + "def find(conn, where):\n    q = 'SELECT * FROM t WHERE '\n    q += where\n"
        "    return read(conn, q)\n", "unsafe_sql", "read() with + with a non-constant via variable q",
        "SQL extended with += from a parameter"),
    bad("tests/planted_test.py", "def test_x(conn, n):\n    conn.execute('SELECT %d' % n)\n", "unsafe_sql",
        "execute() with % formatting", "%-formatted SQL in a test"),
    bad("db/planted.py", "import streamlit as st\n", "library_imports", "db imports streamlit",
        "streamlit imported in db"),
    bad("clinic/planted.py", "import duckdb\n", "library_imports", "clinic imports duckdb",
        "duckdb imported in clinic"),
    bad("pages/planted.py", "from duckdb import connect\n", "library_imports", "pages imports duckdb",
        "duckdb imported in a page"),
    bad("components/planted.py", "import os\nPATH = os.environ.get('CLINICDESK_DB')\n", "db_path_setting",
        "reads CLINICDESK_DB", "the database path setting read outside db_session"),
]


@pytest.mark.parametrize("relpath, code, rules, words", VIOLATIONS)
def test_each_planted_violation_is_reported(tree, relpath, code, rules, words):
    found = plant(tree, relpath, code)
    pairs = [(rules, words)] if isinstance(rules, str) else zip(rules, words)
    for rule, part in pairs:
        assert [v for v in found if v.rule == rule and part in v.detail], f"{rule} missed it; found {found}"


CLEAN = [
    pytest.param("clinic/planted.py", "from . import scheduling\nfrom .errors import NotFound\n",
                 id="a relative import inside clinic"),
    pytest.param("components/sub/planted.py", "from .. import forms\n", id="a relative import inside components"),
    pytest.param("components/db_session.py", "def again(path):\n    return db.connect(path)\n",
                 id="db_session opening the connection"),
    pytest.param("pages/planted.py", "import streamlit as st\nfrom db import patients\n\n"
                 "st.caption('Select a patient from the list')\nst.caption('With provider')\n"
                 "st.button('Delete from calendar')\nrows = patients.search(None, 'ann')\n",
                 id="a page using db modules and interface text"),
    pytest.param("demo/planted.py", "import db\nfrom db import transaction\nfrom clinic import timeutil\n",
                 id="demo seeding through db"),
    pytest.param("manage.py", "from demo import seed\n", id="manage.py using demo"),
    pytest.param("db/planted.py", FN_HEAD + "_SELECT = 'SELECT * FROM t'\n\n\ndef get(conn, pid, late):\n"
                 "    q = _SELECT + ' WHERE id = ?'\n    q += ' AND late' if late else ''\n"
                 "    return read(conn, sql=q, params=[pid])\n", id="SQL from constants and parameters"),
]


@pytest.mark.parametrize("relpath, code", CLEAN)
def test_clean_code_planted_the_same_way_is_not_reported(tree, relpath, code):
    assert plant(tree, relpath, code) == []


def test_the_known_list_fails_on_new_violations_and_on_entries_that_were_fixed():
    found = [Violation("db/a.py", 3, "unsafe_sql", "execute() with f-string")] * 2
    assert unexpected(found, ["db/a.py: unsafe_sql: execute() with f-string"] * 2) == ([], [])
    new, stale = unexpected(found, ["db/a.py: unsafe_sql: execute() with f-string", "db/b.py: sql_in_ui: gone"])
    assert new == ["db/a.py:3 unsafe_sql: execute() with f-string"] * 2 and stale == ["db/b.py: sql_in_ui: gone"]
