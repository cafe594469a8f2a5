import duckdb

import db


def test_applying_all_migrations_twice_is_a_no_op_the_second_time(db_path):
    first = db.connect(db_path)
    versions = [v for v, _, _ in db.migration_files()]
    assert db.read(first, "SELECT version FROM schema_migrations ORDER BY version") == [(v,) for v in versions]
    schema_before = db.read(first, "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL")
    assert db.migrate(first) == []
    first.close()

    again = db.connect(db_path)
    assert db.migrate(again) == []
    assert db.read(again, "SELECT count(*) FROM schema_migrations")[0][0] == len(versions)
    schema_after = db.read(again, "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL")
    assert schema_after == schema_before
    again.close()


def test_a_failing_migration_leaves_neither_its_tables_nor_its_row(db_path, tmp_path, monkeypatch):
    conn = db.connect(db_path)
    bad_dir = tmp_path / "migrations"
    bad_dir.mkdir()
    for _, _, path in db.migration_files():
        (bad_dir / path.name).write_text(path.read_text())
    (bad_dir / "999_broken.sql").write_text("CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;")
    monkeypatch.setattr(db, "MIGRATIONS_DIR", bad_dir)
    try:
        db.migrate(conn)
    except duckdb.Error:
        pass
    else:
        raise AssertionError("the broken migration should have failed")
    assert db.read(conn, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'")[0][0] == 0
    assert db.read(conn, "SELECT count(*) FROM schema_migrations WHERE version = 999")[0][0] == 0
    conn.close()


def test_money_and_time_columns_have_the_designed_types(conn):
    types = dict(db.read(conn, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'appointments'"))
    assert types["start_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["booked_at"] == "TIMESTAMP WITH TIME ZONE"
