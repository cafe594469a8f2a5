"""Fixtures for the seeder's tests: seeded databases shared read-only by the tests of this folder."""

from __future__ import annotations

import pytest

from tests.demo.seeding import seeded_db


@pytest.fixture(scope="package")
def small(tmp_path_factory):
    """One test-scale database shared by the read-only tests."""
    conn = seeded_db(tmp_path_factory.mktemp("seed") / "t.duckdb")
    yield conn
    conn.close()


@pytest.fixture(scope="package")
def demo(tmp_path_factory):
    """The demo scale, for TODAY (so "now" is the midnight starting it)."""
    conn = seeded_db(tmp_path_factory.mktemp("seed") / "demo.duckdb", scale="demo", seed=42)
    yield conn
    conn.close()
