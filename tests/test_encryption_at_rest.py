"""Encryption at rest: what the pinned DuckDB can and cannot do with only what requirements.txt
installs (README, "Encryption at rest").

DuckDB encrypts a database attached with ENCRYPTION_KEY (AES-256-GCM: the file, its WAL and its
temporary files), but it writes one only with the OpenSSL code of its httpfs extension. Without it,
its built-in crypto reads encrypted files and refuses to write them, short of a switch DuckDB itself
names unsafe (random nonces from a generator that is not cryptographically secure). No build of
httpfs for this DuckDB version exists on PyPI, and this machine cannot download one from DuckDB.
When these tests fail, the finding changed: read the README section again.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
PATIENT = "Zebediah Quartermaine"
KEY = "correct horse battery staple"


def pinned_duckdb() -> str:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return re.search(r"^duckdb==(\S+)$", text, re.MULTILINE).group(1)


@pytest.fixture
def bare(tmp_path):
    """A DuckDB with only what its wheel brings: no extension installed, none fetched or loaded
    behind our back (an empty extension folder, auto-install and auto-load off)."""
    conn = duckdb.connect(config={
        "extension_directory": str(tmp_path / "extensions"),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    })
    yield conn
    conn.close()


def test_the_finding_is_about_the_duckdb_version_we_pin():
    assert duckdb.__version__ == pinned_duckdb()


def test_the_pinned_duckdb_refuses_to_write_an_encrypted_database_and_leaves_no_file(bare, tmp_path):
    path = tmp_path / "clinic.duckdb"
    with pytest.raises(duckdb.Error, match=r"read-only crypto module.*LOAD httpfs"):
        bare.execute("ATTACH ? AS enc (ENCRYPTION_KEY ?)", [str(path), KEY])
    assert not path.exists()
    with pytest.raises(duckdb.Error, match="httpfs"):
        bare.execute("LOAD httpfs")  # not bundled: it would have to be downloaded from DuckDB's servers


def test_only_the_fallback_duckdb_calls_unsafe_writes_one_and_the_file_needs_its_key(bare, tmp_path):
    """What an encrypted file would give us, shown with the fallback we do not use: the patient's
    name is not in the bytes, and the file does not open without its key or with a wrong one."""
    def write(path: Path, *, encrypted: bool) -> bytes:
        if encrypted:
            bare.execute("ATTACH ? AS db (ENCRYPTION_KEY ?)", [str(path), KEY])
        else:
            bare.execute("ATTACH ? AS db", [str(path)])
        bare.execute("CREATE TABLE db.patients (name VARCHAR)")
        bare.execute("INSERT INTO db.patients SELECT ? FROM range(500)", [PATIENT])
        bare.execute("DETACH db")
        return path.read_bytes()

    # The same rows in a plain file show the name as it is (so its absence below means something).
    assert PATIENT.encode() in write(tmp_path / "plain.duckdb", encrypted=False)
    bare.execute("SET force_mbedtls_unsafe = true")
    path = tmp_path / "clinic.duckdb"
    data = write(path, encrypted=True)
    assert PATIENT.encode() not in data and b"Quartermaine" not in data

    reader = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        with pytest.raises(duckdb.Error, match="without a key"):
            reader.execute("ATTACH ? AS x (READ_ONLY)", [str(path)])
        with pytest.raises(duckdb.Error, match="Wrong encryption key"):
            reader.execute("ATTACH ? AS x (ENCRYPTION_KEY 'not the key', READ_ONLY)", [str(path)])
        # Reading needs no httpfs: a file encrypted elsewhere stays readable by the pinned DuckDB.
        reader.execute("ATTACH ? AS x (ENCRYPTION_KEY ?, READ_ONLY)", [str(path), KEY])
        assert reader.execute("SELECT count(*), min(name) FROM x.patients").fetchone() == (500, PATIENT)
    finally:
        reader.close()
