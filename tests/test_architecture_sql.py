"""How the architecture test recognises SQL in Python source, and tests pinning what counts.

Three questions, each answered on one parsed module: which string constants are SQL text (any
letter case, confirmed by sqlglot, so "Select a patient" or "With provider" are not); which
expressions reach the database directly (cursors, raw queries, db's SQL helpers however they
are imported); and which SQL arguments are built from values (f-string, %, .format, + with a
non-constant) whether passed positionally, by keyword, or through a local variable.
tests/test_architecture.py applies them to files.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

import pytest
import sqlglot
from sqlglot import exp

# A statement keyword at the start AND a second structural keyword.
_SQL_SHAPE = re.compile(
    r"""^\s*\(?\s*(?:
        select\b.*?\bfrom\b
      | select\s+\w+\s*\(
      | insert\s+(?:or\s+\w+\s+)?into\b
      | update\s+\S+(?:\s+(?:as\s+)?\w+)?\s+set\b
      | delete\s+from\b
      | with\s+(?:recursive\s+)?\w+\s*(?:\([^)]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s+)?\(
      | (?:create|drop)\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:unique\s+)?
        (?:table|view|index|sequence|schema|macro|type|function)\b
      | alter\s+(?:table|view|sequence)\b
      | copy\s+.+?\b(?:from|to)\b
      | (?:export|import)\s+database\b
      | attach\s+.+?\bas\b
      | merge\s+into\b
    )""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
# Signs that text is code, not a sentence: placeholders, operators, brackets, upper-case clauses.
_SQL_MARKS = re.compile(r"[?*=<>;()]|\$\w|::|\n|\b(?:FROM|WHERE|SET|INTO|JOIN|VALUES|AS|ORDER BY|GROUP BY)\b")
_STATEMENTS = (exp.Query, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Copy,
               exp.Merge, exp.Command)

# Calls that take SQL, and where: positional indexes (cursor methods take it first, db helpers
# second after the connection) and keyword names.
SQL_CALLS = {"execute", "executemany", "sql", "query", "read", "read_df", "read_one", "fetch_df", "run_with_frame"}
SQL_POSITIONS = {"run_with_frame": range(4)}
SQL_KEYWORDS = {"sql", "query", "statement"}
# Reaching the database directly: methods of a DuckDB connection or cursor ...
RAW_CALLS = {"execute", "executemany", "sql", "query", "fetchall", "fetchone", "fetchmany", "fetchdf", "df", "cursor"}
# ... and db/__init__'s SQL helpers, meant for db/ modules only.
DB_INTERNALS = {"read", "read_df", "read_one", "run_with_frame", "transaction", "atomic", "connect",
                "migrate"}


def looks_like_sql(text: str) -> bool:
    """True when ``text`` is an SQL statement, in any letter case."""
    if not _SQL_SHAPE.match(text):
        return False
    marked = bool(_SQL_MARKS.search(text))
    first = text.lstrip(" (\t").split(None, 1)[0]
    if first.istitle() and not marked:
        return False  # "Select a patient from the list", "Delete from calendar": a sentence
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
        return bool(statements) and all(isinstance(s, _STATEMENTS) for s in statements)
    except sqlglot.errors.SqlglotError:
        return marked  # DuckDB syntax sqlglot does not know, but plainly code


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _flat_text(node: ast.AST) -> str | None:
    """The text of a string expression, with ``x`` standing for each interpolated value."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _flat_text(node.left), _flat_text(node.right)
        return None if left is None and right is None else (left or "x") + (right or "x")
    return None


def sql_texts(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string expression that is SQL; docstrings are not looked at."""
    parents = _parents(tree)
    for node in ast.walk(tree):
        parent = parents.get(node)
        if not isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) or isinstance(parent, ast.Expr):
            continue  # a docstring, or a bare string that nothing can run
        if isinstance(parent, ast.JoinedStr) or (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add)):
            continue  # judged as part of the whole f-string or concatenation
        text = _flat_text(node)
        if text and looks_like_sql(text):
            yield node.lineno, text


def db_access_problems(
    tree: ast.Module, resolve: Callable[[ast.ImportFrom], str], allowed: set[str]
) -> Iterator[tuple[int, str]]:
    """(line, what) for each direct database access; ``allowed`` names db helpers this file may use.

    ``resolve`` gives the absolute module of a ``from ... import``, so relative imports count too.
    """
    db_names = set()  # local names bound to the db package: "db", or its alias in "import db as x"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "db" or (a.name.startswith("db.") and not a.asname):
                    db_names.add(a.asname or "db")
        elif isinstance(node, ast.ImportFrom) and resolve(node) == "db":
            for alias in node.names:
                if alias.name == "*" or (alias.name in DB_INTERNALS and alias.name not in allowed):
                    yield node.lineno, f"imports db.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in db_names:
            if node.attr in DB_INTERNALS and node.attr not in allowed:
                yield node.lineno, f"uses db.{node.attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RAW_CALLS:
            yield node.lineno, f"calls .{node.func.attr}()"


def is_constant_name(name: str) -> bool:
    # Module-level constants such as _SELECT or COLUMNS hold fixed SQL text, never values.
    return name.lstrip("_").isupper()


class _Flow:
    """Where each name of one module is assigned (``name = ...``, ``name += ...``), per scope."""

    def __init__(self, tree: ast.Module):
        self.parents = _parents(tree)
        self.assigned: dict[ast.AST, dict[str, list[tuple[ast.expr, bool]]]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                pairs = [(t.id, node.value, False) for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and node.value and isinstance(node.target, ast.Name):
                pairs = [(node.target.id, node.value, False)]
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
                pairs = [(node.target.id, node.value, True)]
            else:
                continue
            scope = self.assigned.setdefault(self.scopes(node)[0], {})
            for name, value, augmented in pairs:
                scope.setdefault(name, []).append((value, augmented))

    def scopes(self, node: ast.AST) -> list[ast.AST]:
        """The function (or class) scopes around ``node``, innermost first, ending with the module."""
        chain, current = [], self.parents.get(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)) or (
                isinstance(current, ast.ClassDef) and not chain  # a class body is seen only from itself
            ):
                chain.append(current)
            current = self.parents.get(current)
        return chain

    def lookup(self, name: ast.Name) -> tuple[ast.AST | None, list[tuple[ast.expr, bool]]]:
        for scope in self.scopes(name):
            if name.id in self.assigned.get(scope, {}):
                return scope, self.assigned[scope][name.id]
        return None, []

    def why_unsafe(self, node: ast.AST, seen: frozenset = frozenset()) -> str | None:
        """Why an expression passed as SQL is built from values, or None when it is not."""
        if isinstance(node, ast.JoinedStr):
            values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
            return "f-string" if any(self.operand_problem(v, seen) for v in values) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return "% formatting"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return ".format()"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if any(isinstance(s, (ast.List, ast.Tuple, ast.ListComp)) for s in (node.left, node.right)):
                return None  # parameters being joined, not SQL
            return self.operand_problem(node.left, seen) or self.operand_problem(node.right, seen)
        if isinstance(node, ast.IfExp):
            return self.why_unsafe(node.body, seen) or self.why_unsafe(node.orelse, seen)
        if isinstance(node, ast.Name):
            scope, assignments = self.lookup(node)
            if (scope, node.id) in seen or (is_constant_name(node.id) and isinstance(scope, (ast.Module, type(None)))):
                return None
            for value, augmented in assignments:
                check = self.operand_problem if augmented else self.why_unsafe
                reason = check(value, seen | {(scope, node.id)})
                if reason:
                    return f"{reason} via variable {node.id}" if "via variable" not in reason else reason
        return None

    def operand_problem(self, node: ast.AST, seen: frozenset) -> str | None:
        """Why one piece glued into SQL (by + or an f-string) may carry a value, or None."""
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Name):
            scope, assignments = self.lookup(node)
            if (scope, node.id) in seen or (is_constant_name(node.id) and isinstance(scope, (ast.Module, type(None)))):
                return None
            if not assignments:
                return "+ with a non-constant"
            for value, _ in assignments:
                reason = self.operand_problem(value, seen | {(scope, node.id)})
                if reason:
                    return f"{reason} via variable {node.id}" if "via variable" not in reason else reason
            return None
        if isinstance(node, (ast.JoinedStr, ast.BinOp, ast.IfExp)) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        ):
            return self.why_unsafe(node, seen)
        return "+ with a non-constant"


def unsafe_sql_problems(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, what) for every SQL argument built from values, however it is passed."""
    flow = _Flow(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in SQL_CALLS:
            continue
        positions = SQL_POSITIONS.get(name, range(2))
        passed = [(f"{name}()", arg) for i, arg in enumerate(node.args) if i in positions]
        passed += [(f"{name}({kw.arg}=)", kw.value) for kw in node.keywords if kw.arg in SQL_KEYWORDS]
        for how, arg in passed:
            reason = flow.why_unsafe(arg)
            if reason:
                yield node.lineno, f"{how} with {reason}"


# --- what counts ------------------------------------------------------------------------------


def _unsafe(code: str) -> list[str]:
    return [detail for _, detail in unsafe_sql_problems(ast.parse(code))]


@pytest.mark.parametrize("text", [
    "select id, name from patients where id = ?",
    "SELECT * FROM appointments WHERE provider_id = $provider",
    "delete from waitlist where id = ?",
    "Update patients Set phone = ? where id = ?",
    "insert into audit_log (who, what) values (?, ?)",
    "with due as (select * from messages) select count(*) from due",
    "CREATE TABLE t (a INTEGER)",
    "CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;",
    "select nextval('appointment_series_id_seq')",
    "\n    SELECT a.id\n      FROM appointments a\n      JOIN patients p ON p.id = a.patient_id\n",
])
def test_sql_is_recognised_in_any_letter_case(text):
    assert looks_like_sql(text)


@pytest.mark.parametrize("text", [
    "Select a patient from the list", "Select the day's patients from the calendar", "With provider",
    "Update hours set for Monday", "Delete from calendar", "Select a provider, then a time from the calendar",
    "select_patient_from_search", "Created by the front desk", "Insert a row", "Select all", "SELECT ALL",
    "Select (optional) a provider", "Merge into this record", "Update x", "create-user",
])
def test_interface_text_is_not_taken_for_sql(text):
    assert not looks_like_sql(text)


@pytest.mark.parametrize("code", [
    "cur.execute(" + "f'SELECT * FROM t WHERE id = {x}')",  # split: a grep must not flag this line
    "cur.execute('SELECT * FROM t WHERE id = %s' % x)",
    "cur.execute('SELECT * FROM t WHERE id = ' + x)",
    "cur.execute('SELECT {}'.format(x))",
    "read(conn, sql=" + "f'SELECT * FROM t WHERE id = {x}')",
    "db.read_df(conn, query='SELECT * FROM t WHERE id = ' + str(x))",
    "def f(cur, x):\n    q = " + "f'SELECT * FROM t WHERE id = {x}'\n    cur.execute(q)",
    "def f(cur, x):\n    q = 'SELECT * FROM t'\n    q += ' WHERE id = ' + x\n    cur.execute(q, [])",
    "def f(conn, x):\n    q = 'SELECT * FROM t WHERE ' + x\n    def write(cur):\n        cur.execute(q)\n",
    "def f(conn, where):\n    q = 'SELECT * FROM t WHERE '\n    q += where\n    return read(conn, sql=q)",
    "def f(conn, table):\n    clause = " + "f'FROM {table}'\n    return read(conn, 'SELECT * ' + clause)",
    "run_with_frame(cur, 'v', frame, " + "f'INSERT INTO {t} SELECT * FROM v')",
])
def test_sql_built_from_values_is_found_however_it_is_passed(code):
    assert _unsafe(code) != []


@pytest.mark.parametrize("code", [
    "read(conn, 'SELECT 1 ' + 'FROM t')",
    "read(conn, _SELECT + ' WHERE id = ?', [x])",
    "cur.execute('SELECT * FROM t WHERE id = ?', [x])",
    "cur.execute(_SELECT + ' WHERE id IN (SELECT id FROM u)', params + [x])",
    "cur.execute(" + "f'{_SELECT} WHERE id = ?', [x])",
    "def f(cur, x):\n    q = _SELECT\n    q += ' WHERE id = ?'\n    cur.execute(q, [x])",
    "def f(cur, late):\n    q = 'SELECT * FROM t' + (' WHERE late' if late else '')\n    cur.execute(q)",
    "def f(cur, sql):\n    cur.execute(sql)",
    "def f(cur, x):\n    label = " + "f'{x} rows'\n    cur.execute('SELECT 1', [label])",
])
def test_sql_built_from_constants_and_parameters_passes(code):
    assert _unsafe(code) == []
