"""The day sheet, pure: ages, rows, and the PDF itself (read back without pypdf)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from clinic import daysheet, printing
from clinic.daysheet import DaySheet, SheetRow
from tests.clinic.pdf_helpers import pdf_text

TZ = "America/New_York"
DAY = date(2026, 3, 2)


def record(**overrides):
    """An appointment as ``db.appointments.list_rows`` returns it (attributes; None when missing)."""
    values = {
        "id": 1, "start_at": datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc),
        "end_at": datetime(2026, 3, 2, 14, 15, tzinfo=timezone.utc), "status": "scheduled",
        "patient": "Tanaka, Ana", "mrn": "100015", "date_of_birth": date(1952, 6, 29),
        "visit_type": "Follow-up", "reason": "Ear pain", "first_visit": False, "allergies": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def row(n: int = 1, **overrides) -> SheetRow:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5))) + timedelta(minutes=15 * n)
    values = {"appointment_id": n, "start": start, "end": start + timedelta(minutes=15), "patient": f"Patient{n:03d}, Pat",
              "mrn": f"{100000 + n}", "age": "40", "visit_type": "Follow-up", "reason": "Cough", "new_patient": False,
              "status": "scheduled"}
    values.update(overrides)
    return SheetRow(**values)



def page_count(pdf: bytes) -> int:
    return int(re.search(rb"/Count (\d+)", pdf).group(1))


# --- ages ------------------------------------------------------------------------------------


def test_age_counts_a_year_only_once_the_birthday_has_come():
    assert daysheet.age_on(date(1980, 3, 3), DAY) == 45
    assert daysheet.age_on(date(1980, 3, 2), DAY) == 46


def test_a_leap_day_birthday_counts_from_the_first_of_march():
    assert daysheet.age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21
    assert daysheet.age_on(date(2004, 2, 29), date(2026, 3, 1)) == 22


def test_young_children_are_aged_in_months_and_newborns_in_days():
    assert daysheet.age_label(date(2024, 3, 2), DAY) == "2"
    assert daysheet.age_label(date(2024, 9, 15), DAY) == "17 mo"
    assert daysheet.age_label(date(2026, 1, 31), DAY) == "1 mo"
    assert daysheet.age_label(date(2026, 2, 18), DAY) == "12 d"


def test_an_unknown_or_future_birth_date_gives_no_age():
    assert daysheet.age_label(None, DAY) == ""
    assert daysheet.age_label(date(2027, 1, 1), DAY) == ""


# --- rows ------------------------------------------------------------------------------------


def test_rows_are_clinic_local_in_time_order_without_cancelled_ones():
    rows = daysheet.rows_from_records(
        [
            record(id=3, start_at=datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc),
                   end_at=datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc), patient="Later, Lou"),
            record(id=2, status="cancelled", patient="Gone, Gina"),
            record(id=1),
        ],
        TZ,
    )
    assert [r.patient for r in rows] == ["Tanaka, Ana", "Later, Lou"]
    assert rows[0].time_range == "09:00–09:15"
    assert rows[1].time_range == "10:00–10:30"
    assert rows[0].age == "73"


def test_missing_values_from_the_database_show_as_blanks():
    (only,) = daysheet.rows_from_records([record(reason=None, date_of_birth=None, mrn=None, first_visit=None)], TZ)
    assert (only.reason, only.age, only.mrn, only.new_patient) == ("", "", "", False)


def test_an_empty_cell_on_screen_shows_a_dash_but_an_empty_alert_stays_blank():
    (line,) = daysheet.table_rows(daysheet.rows_from_records([record(reason=None, date_of_birth=None)], TZ))
    assert (line["Reason"], line["Age"], line["Alerts"]) == ("—", "—", "")


def test_the_screen_table_has_an_empty_alerts_column_waiting_for_intake():
    (line,) = daysheet.table_rows(daysheet.rows_from_records([record(first_visit=True)], TZ))
    assert list(line) == ["Time", "Patient", "MRN", "Age", "Visit type", "Reason", "New patient", "Status", "Alerts"]
    assert line["Alerts"] == ""
    assert line["New patient"] is True
    assert line["Status"] == "Scheduled"


def test_the_summary_counts_patients_and_new_ones_and_spans_the_day():
    rows = [row(1), row(2, new_patient=True), row(8, end=row(8).start + timedelta(minutes=40))]
    assert daysheet.summary(rows) == "3 patients · 1 new · 09:15–11:40"
    assert daysheet.summary([]) == "No patients booked."


def test_the_file_name_says_which_day_and_whose():
    sheet = DaySheet("Clinic", "Dr. Zoë O'Brien-Łaski", DAY, [])
    assert daysheet.filename(sheet) == "day-sheet-2026-03-02-dr-zoe-o-brien-aski.pdf"


# --- the PDF ---------------------------------------------------------------------------------


def test_the_pdf_shows_the_clinic_provider_day_and_every_patient():
    rows = daysheet.rows_from_records(
        [record(id=1), record(id=2, start_at=datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc),
                              end_at=datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc),
                              patient="Søndergaard, Victoria", first_visit=True, reason="Asthma review")],
        TZ,
    )
    pdf = daysheet.build_pdf(DaySheet("Riverside Family Practice", "Dr. Amara Okafor", DAY, rows))
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = pdf_text(pdf)
    for expected in ("Riverside Family Practice", "Day sheet: Dr. Amara Okafor", "Monday 2 March 2026",
                     "Tanaka, Ana", "MRN 100015", "Søndergaard, Victoria", "Asthma review", "NEW", "09:00–09:15",
                     "Alerts", "Page 1 of 1"):
        assert expected.encode("cp1252") in text, expected
    # US Letter: 612 x 792 points.
    assert re.search(rb"/MediaBox \[0 0 612(\.00)? 792(\.00)?\]", pdf)


def test_a_long_day_runs_onto_more_pages_with_headings_and_page_numbers_on_each():
    rows = [row(n) for n in range(1, 61)]
    pdf = daysheet.build_pdf(DaySheet("Riverside Family Practice", "Dr. Amara Okafor", DAY, rows))
    pages = page_count(pdf)
    assert pages >= 2
    text = pdf_text(pdf)
    assert f"Page {pages} of {pages}".encode() in text
    assert text.count(b"(Visit type)") == pages
    assert text.count(b"(Day sheet: Dr. Amara Okafor)") == pages
    assert b"Patient060, Pat" in text


def test_names_in_any_script_never_break_the_pdf():
    rows = [row(1, patient="Иванова, Анна"), row(2, patient="Dvořák, Łucja", reason="Kopfschmerz – 头痛")]
    pdf = daysheet.build_pdf(DaySheet("Clinique Saint-Étienne", "Dr. Nguyễn", DAY, rows))
    text = pdf_text(pdf)
    assert b"(???????, ????)" in text
    assert "Dvorák, Lucja".encode("cp1252") in text
    assert "Clinique Saint-Étienne".encode("cp1252") in text


def test_an_empty_day_still_prints_a_sheet_that_says_so():
    pdf = daysheet.build_pdf(DaySheet("Riverside Family Practice", "Dr. Amara Okafor", DAY, []))
    assert b"No appointments are booked for this day." in pdf_text(pdf)
    assert page_count(pdf) == 1


def test_the_header_says_when_the_rows_were_read_month_day_year_like_the_screen():
    sheet = DaySheet("Clinic", "Dr. A", DAY, [row(1)], as_of=datetime(2026, 3, 2, 7, 45))
    text = pdf_text(daysheet.build_pdf(sheet))
    assert b"As of 03/02/2026 07:45" in text
    assert b"2026-03-02" not in text


def test_with_the_bundled_unicode_font_names_are_printed_as_typed():
    rows = [row(1, patient="Иванова, Анна"), row(2, patient="王芳", reason="Kopfschmerz\x00 \u200b– 头痛")]
    pdf = daysheet.build_pdf(DaySheet("Clinic", "Dr. Łaski", DAY, rows), **printing.bundled_fonts())
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # the TrueType font is embedded
    # The embedded font maps glyphs back to Unicode: Cyrillic И (U+0418) is in its ToUnicode map.
    assert b"<0418>" in pdf_text(pdf)


def test_ages_statuses_visit_types_and_the_new_flag_each_fit_on_one_line():
    rows = [row(1, status="completed", visit_type="Annual physical", new_patient=True, age="17 mo"),
            row(2, status="checked_in"), row(3, status="no_show"), row(4, status="confirmed")]
    text = pdf_text(daysheet.build_pdf(DaySheet("Clinic", "Dr. A", DAY, rows)))
    for whole in (b"(Completed)", b"(Checked in)", b"(No-show)", b"(Confirmed)", b"(Annual physical)", b"(NEW)", b"(17 mo)"):
        assert whole in text, whole
