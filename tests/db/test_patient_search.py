"""The patient search box by name: every word typed must start the first, last or preferred name,
in any order, with case and accents ignored; active patients only, in name order."""

from __future__ import annotations

import db
from db import patients
from tests.conftest import make_patient


def _names(found: list[patients.Patient]) -> list[str]:
    return [f"{p.last_name}, {p.first_name}" for p in found]


def _prefer(conn, patient_id: int, name: str) -> None:
    db.read(conn, "UPDATE patients SET preferred_name = ? WHERE id = ? RETURNING id", [name, patient_id])


def test_words_in_any_order_case_and_accents_match_the_start_of_first_last_or_preferred_name(conn):
    nunez = make_patient(conn, first_name="María", last_name="Núñez")
    make_patient(conn, first_name="Mario", last_name="Nunes")
    bob = make_patient(conn, first_name="Robert", last_name="Smith")
    _prefer(conn, bob, "Bobby")
    assert _names(patients.search(conn, "nun mar")) == ["Nunes, Mario", "Núñez, María"]
    assert [p.id for p in patients.search(conn, "MARIA NÚÑ")] == [nunez]
    assert [p.id for p in patients.search(conn, "bob smi")] == [bob]
    assert patients.search(conn, "obert") == []  # inside a name, not at its start
    assert patients.search(conn, "smith zed") == []  # every word must match


def test_more_than_four_words_must_all_match_too(conn):
    many = make_patient(conn, first_name="Anna Maria", last_name="de la Cruz")
    _prefer(conn, many, "Nina")
    make_patient(conn, first_name="Anna", last_name="de Souza")
    assert [p.id for p in patients.search(conn, "a d d d n")] == [many]
    assert [p.id for p in patients.search(conn, "anna de de de nina")] == [many]
    assert patients.search(conn, "anna de de de zora") == []
    assert patients.search(conn, "zora anna de de de") == []


def test_only_punctuation_finds_nobody(conn):
    make_patient(conn, first_name="Ann", last_name="Lee")
    assert patients.search(conn, " , ,, ") == []


def test_results_come_in_name_order_then_by_record_and_stop_at_the_limit(conn):
    ids = [make_patient(conn, first_name=first, last_name="Olsen") for first in ("Eva", "Ada", "Eva", "Ben")]
    found = patients.search(conn, "olsen", limit=3)
    assert [p.id for p in found] == [ids[1], ids[3], ids[0]]
    assert [p.id for p in patients.search(conn, "ols e")] == [ids[0], ids[2]]


def test_inactive_and_merged_patients_are_not_found(conn):
    kept = make_patient(conn, first_name="Ivy", last_name="Moss")
    gone = make_patient(conn, first_name="Ivy", last_name="Mossman")
    db.read(conn, "UPDATE patients SET status = 'inactive' WHERE id = ? RETURNING id", [gone])
    assert [p.id for p in patients.search(conn, "moss ivy")] == [kept]
