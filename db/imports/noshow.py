"""Importing the public "Medical Appointment No Shows" CSV into patients and appointments.

The file (110,527 appointments in Vitória, Brazil, April-June 2016) has the columns PatientId,
AppointmentID, Gender, ScheduledDay, AppointmentDay, Age, Neighbourhood, Scholarship,
Hipertension, Diabetes, Alcoholism, Handcap, SMS_received, No-show; "No-show" = "Yes" means the
patient did NOT come. It is read by DuckDB as text (``all_varchar``) and cast in SQL, so a bad
value rejects its row with a reason instead of failing the import; everything is set-wise.

How the data set maps onto ClinicDesk (it has no names, times, providers or visit types):

* Patient: one per PatientId (``external_id``), named "Patient <PatientId>" (the data has no
  names), sex from Gender, date of birth DERIVED from Age: the latest date that makes the age
  at every one of the patient's appointment days what the file says (whole years only, so it
  can be up to a year early). Hypertension, diabetes, alcoholism and handicap flags of the
  patient's latest row go to ``conditions``; Scholarship (a welfare programme) is not kept.
* Appointment: ``no_show`` when No-show is "Yes", ``completed`` when "No"; booked at ScheduledDay;
  on AppointmentDay at 09:00 clinic time (:data:`START_TIME`: the file has no time of day) for
  15 minutes; ``reminder_sent`` from SMS_received; Neighbourhood (where the visit took place) in
  ``notes``; one appointment event (none -> the status, dated at the visit).
* Dates are taken AS WRITTEN: the calendar date and wall-clock time in the text, placed in the
  clinic's time zone. "2016-04-29T00:00:00Z" is 29 April in any clinic zone; it is never read as
  a UTC instant (which a New York clinic would show on 28 April).
* One provider, "No-show data set clinic", for all of it (the file names no clinician;
  Neighbourhood is a place, not a person): active so its history shows on the calendar, not
  accepting new patients and with no weekly hours, so nothing new can be booked with it. One
  inactive visit type, "Imported appointment" (15 min), likewise not offered for booking.
* History is imported as it was, without the booking rules: imported appointments may overlap
  each other (the data set books many patients on one day without times).

Rejected rows (counted by reason, with a few AppointmentIDs): a line the CSV reader cannot
split into the 14 columns; a PatientId that is not a number or an AppointmentID that is not a
whole number; a date that cannot be read; an age that is not a whole number or is below 0 or
over 115; an appointment day before the day it was booked; Gender not F or M; No-show not Yes
or No; SMS_received not 0 or 1. An AppointmentID already imported (or repeated in the file) is
skipped and counted as a duplicate, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import time as clock
from datetime import time
from pathlib import Path

import duckdb

from db import Connection, atomic, audit, settings
from db.actors import acting
from db.imports import ImportSummary, Progress, define_macros, refused, report

SOURCE = "noshow"
COLUMNS = ("PatientId", "AppointmentID", "Gender", "ScheduledDay", "AppointmentDay", "Age", "Neighbourhood",
           "Scholarship", "Hipertension", "Diabetes", "Alcoholism", "Handcap", "SMS_received", "No-show")
START_TIME = time(9, 0)  # the file has dates only: every imported visit starts at 09:00 clinic time
DURATION_MIN = 15
PROVIDER_NAME = "No-show data set clinic"
PROVIDER_EXTERNAL_ID = "clinic"
VISIT_TYPE_NAME = "Imported appointment"
MIN_AGE, MAX_AGE = 0, 115
EXAMPLES = 5

UNREADABLE = "line not readable as CSV (wrong number of columns or quotes)"
BAD_ID = "PatientId not a number, or AppointmentID not a whole number"
BAD_DATE = "ScheduledDay or AppointmentDay not a readable date"
BAD_AGE = "age not a whole number"
IMPOSSIBLE_AGE = f"impossible age (below {MIN_AGE} or over {MAX_AGE})"
BEFORE_BOOKED = "appointment day before the day it was scheduled"
BAD_GENDER = "Gender not F or M"
BAD_NO_SHOW = "No-show not Yes or No"
BAD_SMS = "SMS_received not 0 or 1"

_COLUMNS_SQL = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in COLUMNS) + "}"

_STAGE = f"""
CREATE OR REPLACE TEMP TABLE noshow_stage AS
WITH raw AS (
    SELECT trim("PatientId") AS patient_raw, trim("AppointmentID") AS appointment_raw,
           upper(trim("Gender")) AS gender, trim("ScheduledDay") AS scheduled_raw,
           trim("AppointmentDay") AS day_raw, trim("Age") AS age_raw, trim("Neighbourhood") AS neighbourhood,
           trim("Hipertension") AS hypertension, trim("Diabetes") AS diabetes,
           trim("Alcoholism") AS alcoholism, trim("Handcap") AS handicap,
           trim("SMS_received") AS sms, lower(trim("No-show")) AS no_show
    FROM read_csv($path, auto_detect = false, header = true, delim = ',', quote = '"', escape = '"',
                  columns = {_COLUMNS_SQL}, store_rejects = true,
                  rejects_table = 'noshow_rejects', rejects_scan = 'noshow_reject_scans')
), parsed AS (
    SELECT *,
           -- PatientId is an identifier written as a number: a whole number ("29872499824296.0" in
           -- some copies is "29872499824296"), or kept as written when it is not whole (5 rows of the
           -- public file read "9377952927E-5").
           CASE WHEN regexp_full_match(patient_raw, '\\d+(\\.0*)?') THEN regexp_extract(patient_raw, '^\\d+')
                WHEN regexp_full_match(patient_raw, '[0-9.eE+-]{{1,40}}')
                     AND try_cast(patient_raw AS DOUBLE) IS NOT NULL
                    THEN patient_raw END AS patient_ext,
           CASE WHEN regexp_full_match(appointment_raw, '\\d+') THEN appointment_raw END AS appointment_ext,
           -- As written: see db.imports (a trailing "Z" is dropped, not applied).
           as_written(scheduled_raw) AS scheduled_at,
           as_written(day_raw) AS day_at,
           CASE WHEN regexp_full_match(age_raw, '-?\\d{{1,4}}') THEN CAST(age_raw AS INTEGER) END AS age
    FROM raw
)
SELECT *,
       CAST(day_at AS DATE) AS day,
       CASE
           WHEN patient_ext IS NULL OR appointment_ext IS NULL THEN $bad_id
           WHEN scheduled_at IS NULL OR day_at IS NULL THEN $bad_date
           WHEN age IS NULL THEN $bad_age
           WHEN age < $min_age OR age > $max_age THEN $impossible_age
           WHEN CAST(day_at AS DATE) < CAST(scheduled_at AS DATE) THEN $before_booked
           WHEN gender IS NULL OR gender NOT IN ('F', 'M') THEN $bad_gender
           WHEN no_show IS NULL OR no_show NOT IN ('yes', 'no') THEN $bad_no_show
           WHEN sms IS NULL OR sms NOT IN ('0', '1') THEN $bad_sms
       END AS reason
FROM parsed
"""

# The valid rows to add: one per AppointmentID (the first by date if the file repeats one), not
# yet imported.
_FRESH = """
CREATE OR REPLACE TEMP TABLE noshow_fresh AS
SELECT s.* FROM noshow_stage s
WHERE s.reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.import_source = $source AND a.external_id = s.appointment_ext)
QUALIFY row_number() OVER (PARTITION BY s.appointment_ext ORDER BY s.scheduled_at, s.day_at, s.patient_ext) = 1
"""

_PATIENTS = """
INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, conditions, reminder_opt_in,
                      created_by, import_source, external_id)
SELECT nextval('patients_mrn_seq')::VARCHAR, 'Patient', f.patient_ext, f.date_of_birth, f.sex,
       nullif(f.conditions, ''), FALSE, $actor_id, $source, f.patient_ext
FROM (
    SELECT patient_ext,
           -- The latest birth date consistent with every age the file gives for this patient.
           CAST(min(day - to_years(age)) AS DATE) AS date_of_birth,
           CASE arg_max(gender, day_at) WHEN 'F' THEN 'female' ELSE 'male' END AS sex,
           arg_max(concat_ws(', ',
               CASE WHEN hypertension = '1' THEN 'hypertension' END,
               CASE WHEN diabetes = '1' THEN 'diabetes' END,
               CASE WHEN alcoholism = '1' THEN 'alcoholism' END,
               CASE WHEN handicap NOT IN ('', '0') THEN 'handicap (' || handicap || ')' END), day_at) AS conditions
    FROM noshow_fresh
    GROUP BY patient_ext
) f
WHERE NOT EXISTS (SELECT 1 FROM patients p WHERE p.import_source = $source AND p.external_id = f.patient_ext)
"""

_APPOINTMENTS = """
INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at,
                          booked_by, notes, reminder_sent, import_source, external_id)
SELECT CASE WHEN p.status = 'merged' AND p.merged_into IS NOT NULL THEN p.merged_into ELSE p.id END,
       $provider_id, $type_id,
       timezone($tz, f.day + $start_time),
       timezone($tz, f.day + $start_time) + to_minutes($minutes),
       timezone($tz, f.day + $start_time) + to_minutes($minutes),
       CASE f.no_show WHEN 'yes' THEN 'no_show' ELSE 'completed' END,
       timezone($tz, f.scheduled_at),
       $actor_id,
       CASE WHEN f.neighbourhood <> '' THEN 'Neighbourhood: ' || f.neighbourhood END,
       f.sms = '1', $source, f.appointment_ext
FROM noshow_fresh f
JOIN patients p ON p.import_source = $source AND p.external_id = f.patient_ext
"""

_EVENTS = """
INSERT INTO appointment_events (appointment_id, occurred_at, user_id, from_status, to_status, reason)
SELECT a.id, a.start_at, $actor_id, NULL, a.status, 'imported from the no-show data set'
FROM appointments a
WHERE a.import_source = $source AND a.id > $after_id
"""

# The reader's reject tables are temporary tables of this cursor's connection; a re-run needs
# them gone (store_rejects appends to existing ones).
_DROP_REJECTS = ("DROP TABLE IF EXISTS noshow_rejects", "DROP TABLE IF EXISTS noshow_reject_scans")
_DROP_STAGE = ("DROP TABLE IF EXISTS noshow_stage", "DROP TABLE IF EXISTS noshow_fresh")


def _check_header(path: Path) -> None:
    """Refuse a file that is not in the no-show format before touching the database.
    (Only the header line is read here; the rows are read by DuckDB.)"""
    if not path.is_file():
        raise refused(f"There is no file {path.name}.")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise refused(f"{path.name} is not a readable CSV text file.") from exc
    header = [name.strip() for name in header]
    if tuple(header) != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        detail = f"missing {', '.join(missing)}" if missing else "the columns are in another order"
        raise refused(f"{path.name} is not in the no-show format ({detail}). Its first line must be: "
                      + ",".join(COLUMNS))


def import_noshow(conn: Connection, path: str | Path, *, user, progress: Progress | None = None) -> ImportSummary:
    """Import the no-show CSV at ``path`` (readable by DuckDB: see :mod:`db.imports`).

    One transaction with one audit row (``data.import``); requires the ``data.import`` action
    (manager, admin) or an operator's name. Raises ClinicError (field ``file``) for a file that is
    not in the format, NotAllowed for a role that may not import.
    """
    path = Path(path)
    started = clock.perf_counter()
    _check_header(path)
    tz = settings.timezone(conn)

    def write(cur: Connection) -> ImportSummary:
        actor = acting(cur, user, "data.import")
        report(progress, 0.05, "Reading the file")
        define_macros(cur)
        for statement in _DROP_REJECTS:
            cur.execute(statement)
        try:
            cur.execute(_STAGE, {
                "path": str(path), "bad_id": BAD_ID, "bad_date": BAD_DATE, "bad_age": BAD_AGE,
                "impossible_age": IMPOSSIBLE_AGE, "before_booked": BEFORE_BOOKED, "bad_gender": BAD_GENDER,
                "bad_no_show": BAD_NO_SHOW, "bad_sms": BAD_SMS, "min_age": MIN_AGE, "max_age": MAX_AGE,
            })
        except duckdb.PermissionException as exc:
            raise refused(f"{path.name} is outside the folders this database may read: put it in the"
                          " database's imports folder.") from exc
        except duckdb.IOException as exc:
            raise refused(f"{path.name} could not be read: {str(exc).splitlines()[0]}") from exc
        except duckdb.InvalidInputException as exc:
            raise refused(f"{path.name} is not a readable CSV file: {str(exc).splitlines()[0]}") from exc

        report(progress, 0.35, "Checking the rows")
        rejected: dict[str, int] = {}
        examples: dict[str, list[str]] = {}
        # One reject row per broken column: count lines, not rows.
        unreadable = cur.execute("SELECT count(DISTINCT line), list(DISTINCT line ORDER BY line)[1:$n]"
                                 " FROM noshow_rejects", {"n": EXAMPLES}).fetchone()
        if unreadable[0]:
            rejected[UNREADABLE] = unreadable[0]
            examples[UNREADABLE] = [f"line {n}" for n in unreadable[1]]
        for reason, n, sample in cur.execute(
            "SELECT reason, count(*), list(coalesce(nullif(appointment_raw, ''), '(no id)')"
            " ORDER BY appointment_raw)[1:$n] FROM noshow_stage WHERE reason IS NOT NULL GROUP BY reason",
            {"n": EXAMPLES},
        ).fetchall():
            rejected[reason] = n
            examples[reason] = [f"AppointmentID {s}" if s != "(no id)" else s for s in sample]
        cur.execute(_FRESH, {"source": SOURCE})
        (valid,) = cur.execute("SELECT count(*) FROM noshow_stage WHERE reason IS NULL").fetchone()
        (fresh,) = cur.execute("SELECT count(*) FROM noshow_fresh").fetchone()

        provider_id = _provider(cur)
        type_id = _visit_type(cur)
        report(progress, 0.5, "Adding patients")
        (before_patients,) = cur.execute("SELECT count(*) FROM patients").fetchone()
        cur.execute(_PATIENTS, {"source": SOURCE, "actor_id": actor.id})
        (after_patients,) = cur.execute("SELECT count(*) FROM patients").fetchone()

        report(progress, 0.7, "Adding appointments")
        (after_id,) = cur.execute("SELECT coalesce(max(id), 0) FROM appointments").fetchone()
        cur.execute(_APPOINTMENTS, {"source": SOURCE, "actor_id": actor.id, "provider_id": provider_id,
                                    "type_id": type_id, "tz": tz, "start_time": START_TIME,
                                    "minutes": DURATION_MIN})
        (imported,) = cur.execute("SELECT count(*) FROM appointments WHERE import_source = $source AND id > $after",
                                  {"source": SOURCE, "after": after_id}).fetchone()
        report(progress, 0.9, "Recording each appointment's history")
        cur.execute(_EVENTS, {"source": SOURCE, "actor_id": actor.id, "after_id": after_id})
        for statement in _DROP_REJECTS + _DROP_STAGE:
            cur.execute(statement)

        summary = ImportSummary(
            imported=imported, rejected=rejected, duplicates=valid - fresh,
            added={"patients": after_patients - before_patients, "appointments": imported},
            examples=examples, seconds=clock.perf_counter() - started,
        )
        audit.record(cur, actor, "data.import", "appointments", None, detail={
            "source": SOURCE, "file": path.name, "imported": imported, "duplicates": summary.duplicates,
            "patients_added": summary.added["patients"], "rejected": rejected,
        })
        return summary

    summary = atomic(conn, write)
    report(progress, 1.0, "Done")
    return summary


def _provider(cur: Connection) -> int:
    """The one provider all imported no-show appointments are with (made on the first import)."""
    row = cur.execute("SELECT id FROM providers WHERE import_source = ? AND external_id = ?",
                      [SOURCE, PROVIDER_EXTERNAL_ID]).fetchone()
    if row:
        return row[0]
    return cur.execute(
        "INSERT INTO providers (name, kind, colour, active, accepting_new, import_source, external_id)"
        " VALUES (?, 'physician', '#64748b', TRUE, FALSE, ?, ?) RETURNING id",
        [PROVIDER_NAME, SOURCE, PROVIDER_EXTERNAL_ID],
    ).fetchone()[0]


def _visit_type(cur: Connection) -> int:
    """The inactive "Imported appointment" visit type (found by name, as visit types are unique by name)."""
    row = cur.execute("SELECT id FROM visit_types WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
                      [VISIT_TYPE_NAME]).fetchone()
    if row:
        return row[0]
    return cur.execute(
        "INSERT INTO visit_types (name, duration_min, colour, active) VALUES (?, ?, '#94a3b8', FALSE) RETURNING id",
        [VISIT_TYPE_NAME, DURATION_MIN],
    ).fetchone()[0]
