"""Importing records made elsewhere: what every importer shares.

Each importer (``db.imports.noshow``, ``db.imports.synthea``) reads CSV files with DuckDB's own
reader, set-wise (one INSERT ... SELECT per table, never a Python loop over rows), inside ONE
transaction with one audit row: an import either lands whole or not at all. Imported rows carry
``import_source`` and ``external_id`` (migration 011), so importing the same file again adds
nothing. Imports are history: they do not go through the booking rules.

Files are read by DuckDB, which (once ``db.connect`` locks external access down) may only read
inside the database folder's ``imports/`` subfolder and the folders the opener allowed: the app's
upload writes the file into :func:`imports_dir` first; ``manage.py`` allows the file's folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic.errors import ClinicError
from db import Connection, app_folder, read_one

# progress(fraction 0..1, what is happening now): for a progress bar. Optional everywhere.
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ImportSummary:
    """What an import did. ``imported`` counts the main rows (appointments); ``added`` every table."""

    imported: int
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> rows
    duplicates: int = 0  # rows already in the database (or twice in the file): skipped
    added: dict[str, int] = field(default_factory=dict)  # table label -> rows added
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few ids or line numbers
    seconds: float = 0.0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def lines(self) -> list[str]:
        """The summary as plain sentences (manage.py prints them; the explorer page shows them)."""
        out = [f"Imported {self.imported:,} appointments in {self.seconds:.1f} s."]
        if self.added:
            out.append("Added: " + ", ".join(f"{n:,} {name}" for name, n in self.added.items()) + ".")
        if self.duplicates:
            out.append(f"Skipped {self.duplicates:,} rows already imported (or repeated in the file).")
        if self.rejected:
            out.append(f"Rejected {self.rejected_total:,} rows:")
            for reason, n in sorted(self.rejected.items(), key=lambda kv: -kv[1]):
                sample = self.examples.get(reason)
                out.append(f"  {n:,} × {reason}" + (f" (e.g. {', '.join(sample)})" if sample else ""))
        else:
            out.append("No rows rejected.")
        return out


def refused(message: str) -> ClinicError:
    """The file cannot be imported at all (wrong format, missing, unreadable): nothing was written."""
    return ClinicError(message, field="file")


def database_file(conn: Connection) -> Path | None:
    """The file this connection's database lives in (None for an in-memory database)."""
    row = read_one(conn, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    return Path(row[0]) if row and row[0] else None


def imports_dir(conn: Connection) -> Path:
    """``<database folder>/imports``: where the app puts an uploaded file before importing it
    (one of the folders DuckDB may still read once external access is locked down)."""
    if database_file(conn) is None:
        raise refused("This database has no folder to import from (it is in memory).")
    folder = app_folder(conn, "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# as_written(text) -> TIMESTAMP: the calendar date and wall-clock time written in the text, with a
# trailing zone ("Z", "UTC", "+02:00") dropped, NOT applied; NULL when unreadable. Importers then
# place that wall-clock time in the clinic's zone with timezone(tz, ...). Casting a TIMESTAMPTZ to
# DATE in a non-UTC session shifts the day; a naive TIMESTAMP cast to DATE never does.
_AS_WRITTEN_MACRO = (
    "CREATE OR REPLACE TEMP MACRO as_written(t) AS try_cast(regexp_replace(trim(t),"
    " '(\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?)\\s*(Z|UTC|[+-]\\d\\d(:?\\d\\d)?)$', '\\1') AS TIMESTAMP)"
)


def define_macros(cur: Connection) -> None:
    """The SQL helpers every importer uses, on the import's cursor (temporary, per connection)."""
    cur.execute(_AS_WRITTEN_MACRO)


def report(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)
