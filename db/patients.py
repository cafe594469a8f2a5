"""Patients. (Intake, search and the patient file arrive with the patients issue.)"""

from __future__ import annotations

from db import Connection, read_one


def count_active(conn: Connection) -> int:
    return int(read_one(conn, "SELECT count(*) FROM patients WHERE status = 'active'")[0])
