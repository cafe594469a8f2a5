"""References the schema cannot enforce (see db/migrations/001_foundation.sql) hold in the data."""

import db

ORPHANS = {
    "appointments without a patient": "SELECT count(*) FROM appointments a ANTI JOIN patients p ON p.id = a.patient_id",
    "appointments without a provider": "SELECT count(*) FROM appointments a ANTI JOIN providers p ON p.id = a.provider_id",
    "appointments without a visit type": "SELECT count(*) FROM appointments a ANTI JOIN visit_types t ON t.id = a.type_id",
}


def test_every_appointment_of_the_seeded_database_points_at_real_rows(seeded):
    found = {name: db.read(seeded, sql)[0][0] for name, sql in ORPHANS.items()}
    assert found == dict.fromkeys(ORPHANS, 0)
    assert db.read(seeded, "SELECT count(*) FROM appointments")[0][0] > 0


def test_the_orphan_check_notices_a_dangling_appointment(seeded):
    seeded.execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until)"
        " VALUES (987654, 1, 1, now(), now() + INTERVAL 15 MINUTE, now() + INTERVAL 15 MINUTE)"
    )
    assert db.read(seeded, ORPHANS["appointments without a patient"])[0][0] == 1
