"""The demo practice's fee schedule and what each kind of visit bills: codes, prices by year,
each visit type's default lines (and the variants and add-ons a clerk would put on the draft),
and the ICD-10-CM diagnoses that go with them.

Codes are HCPCS Level II, read from the CMS slice in ``demo/data/hcpcs_primary_care.csv``
(public domain; see the README there), and practice-defined codes with descriptions of our own
(office visits and physicals are CPT codes in real life, whose descriptions are licensed: the
demo does not use them). Prices are the practice's own. Each code has one row per calendar year,
3% dearer every year, so the fee schedule shows effective periods and old visits carry old prices.

Diagnosis codes were each checked billable against the ``simple-icd-10-cm`` package
(tests/demo/test_seed_billing.py checks them again).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from db import Connection, run_with_frame
from demo.schedule import ANNUAL, FOLLOW_UP, NEW, PROCEDURE, VACCINATION

HCPCS_SLICE: Final = Path(__file__).resolve().parent / "data" / "hcpcs_primary_care.csv"

# Practice-defined codes (3-7 letters and digits, as invoice lines require): our own words.
PRACTICE_CODES: Final = {
    "OVNEW": "Office visit, new patient, 30 minutes (practice code)",
    "OVEST": "Office visit, established patient, 15 minutes (practice code)",
    "PHYS": "Annual physical examination (practice code)",
    "MINPROC": "Minor office procedure: wart, skin tag or cyst removal (practice code)",
    "INJJNT": "Joint or bursa injection, large joint (practice code)",
    "LABDRAW": "Blood draw for laboratory tests (practice code)",
    "UADIP": "Urine dipstick test in the office (practice code)",
    "ECG12": "Resting 12-lead ECG in the office (practice code)",
    "PPSV23": "Pneumococcal polysaccharide vaccine, 23-valent, dose (practice code)",
    "HEPBVAC": "Hepatitis B vaccine, adult dose (practice code)",
    "FORMS": "Completion of forms or a letter for the patient (practice code)",
}

# Plain wording for HCPCS codes whose CMS description is cut off at 80 characters.
PLAIN: Final = {
    "Q2035": "Influenza virus vaccine, split virus, age 3 and over, intramuscular (Afluria)",
    "Q2036": "Influenza virus vaccine, split virus, age 3 and over, intramuscular (Flulaval)",
    "Q2037": "Influenza virus vaccine, split virus, age 3 and over, intramuscular (Fluvirin)",
    "Q2038": "Influenza virus vaccine, split virus, age 3 and over, intramuscular (Fluzone)",
    "G0402": "Initial preventive physical examination, within 12 months of Medicare enrolment",
    "G0403": "Screening electrocardiogram, 12 leads, with the initial preventive examination",
    "G0446": "Annual intensive behavioural therapy for cardiovascular disease, 15 minutes",
    "G0101": "Cervical or vaginal cancer screening: pelvic and clinical breast examination",
    "Q0091": "Screening Pap smear: obtaining, preparing and sending the cervical sample",
    "G0108": "Diabetes self-management training, individual, per 30 minutes",
    "G0296": "Counselling visit on lung cancer screening with low-dose CT",
    "G0506": "Comprehensive assessment and care planning for chronic care management",
    "G0513": "Prolonged preventive service, first 30 minutes",
    "G2010": "Remote evaluation of video or images sent by an established patient",
    "G2012": "Brief virtual check-in by a physician or other qualified professional",
    "J0702": "Injection, betamethasone acetate 3 mg and betamethasone sodium phosphate 3 mg",
    "J3301": "Injection, triamcinolone acetonide, not otherwise specified, 10 mg",
    "J7321": "Hyaluronan (Hyalgan, Supartz or Visco-3), intra-articular injection, per dose",
    "J7613": "Albuterol inhalation solution, FDA-approved, non-compounded, unit dose, 1 mg",
    "J7620": "Albuterol up to 2.5 mg and ipratropium up to 0.5 mg, inhalation, unit dose",
    "A6216": "Gauze pad, non-sterile, 16 sq. in. or less, without adhesive border, each",
    "A6402": "Gauze pad, sterile, 16 sq. in. or less, without adhesive border, each",
    "A7003": "Nebulizer administration set, small volume, disposable",
    "E0114": "Crutches, underarm, not wood, adjustable or fixed, pair, with pads and tips",
    "L0120": "Cervical collar, flexible foam, prefabricated, off the shelf",
    "L3908": "Wrist-hand orthosis, cock-up, prefabricated, off the shelf",
    "L1902": "Ankle orthosis, ankle gauntlet, prefabricated, off the shelf",
}

# This year's price of every code in the schedule (whole dollars and cents as text).
PRICES: Final = {
    "OVNEW": "185.00", "OVEST": "115.00", "PHYS": "210.00", "MINPROC": "165.00", "INJJNT": "140.00",
    "LABDRAW": "18.00", "UADIP": "12.00", "ECG12": "65.00", "PPSV23": "125.00", "HEPBVAC": "78.00",
    "FORMS": "25.00",
    "G0008": "32.00", "G0009": "32.00", "G0010": "32.00", "Q2035": "28.00", "Q2036": "28.00",
    "Q2037": "28.00", "Q2038": "30.00", "Q2039": "27.00", "G0438": "230.00", "G0439": "175.00",
    "G0402": "215.00", "G0403": "40.00", "G0444": "28.00", "G0442": "26.00", "G0443": "36.00",
    "G0446": "38.00", "G0447": "38.00", "G0101": "58.00", "G0102": "22.00", "Q0091": "52.00",
    "G0108": "75.00", "G0270": "48.00", "G0296": "42.00", "G0506": "95.00", "G0513": "110.00",
    "G2010": "18.00", "G2012": "22.00", "G0168": "48.00", "G0127": "30.00",
    "J1100": "3.50", "J3301": "6.00", "J1030": "14.00", "J1040": "22.00", "J0696": "12.00",
    "J3420": "9.00", "J1885": "7.50", "J2550": "10.00", "J1200": "8.00", "J2920": "12.00",
    "J2405": "4.00", "J0171": "6.50", "J0561": "38.00", "J1050": "1.10", "J0702": "16.00",
    "J1815": "4.50", "J3410": "9.00", "J7321": "160.00", "J7613": "2.00", "J7620": "3.50",
    "J7050": "14.00", "A4206": "1.50", "A4215": "1.00", "A4550": "35.00", "A4565": "18.00",
    "A4570": "28.00", "A6216": "0.50", "A6402": "0.75", "A6250": "8.00", "A7003": "9.00",
    "E0100": "32.00", "E0114": "55.00", "L0120": "28.00", "L3908": "48.00", "L1902": "52.00",
    "A4614": "24.00",
}
YEARLY_RISE_PERCENT: Final = 3

# What each visit type bills. Per visit type: the variants of its lines with their weights (the
# first is the visit type's own default, stored in visit_types / visit_type_fee_lines), and the
# add-on lines a clerk adds to some visits: (code, quantity, share of visits, who).
Lines = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Variant:
    weight: float
    lines: Lines
    diagnoses: tuple[str, ...]  # the primary diagnosis is drawn from these (None: the visit's pool)


@dataclass(frozen=True)
class AddOn:
    code: str
    quantity: int
    share: float
    only: str = ""  # "female", "medicare_annual" or "" (anyone)


# Diagnoses seen at office visits: acute complaints and chronic conditions (a second diagnosis).
ACUTE_DX: Final = ("J06.9", "J02.9", "M54.50", "R05.9", "N39.0", "H66.90", "L30.9", "R51.9", "J01.90", "M25.561",
                   "R10.9", "J20.9", "R53.83", "R42", "B34.9", "K52.9")
CHRONIC_DX: Final = ("I10", "E78.5", "E11.9", "E03.9", "J45.909", "K21.9", "F41.1", "E66.9", "F32.A", "G47.00",
                     "J30.9", "G43.909")
ADULT_EXAM_DX: Final = ("Z00.00", "Z00.00", "Z00.00", "Z00.00", "Z00.01")
CHILD_EXAM_DX: Final = ("Z00.129", "Z00.129", "Z00.129", "Z00.121")

VARIANTS: Final[dict[int, tuple[Variant, ...]]] = {
    NEW: (Variant(1.0, (("OVNEW", 1),), ()),),
    FOLLOW_UP: (Variant(1.0, (("OVEST", 1),), ()),),
    ANNUAL: (Variant(1.0, (("PHYS", 1), ("LABDRAW", 1)), ()),),
    VACCINATION: (Variant(0.75, (("G0008", 1), ("Q2039", 1)), ("Z23",)),
                  Variant(0.15, (("G0009", 1), ("PPSV23", 1)), ("Z23",)),
                  Variant(0.10, (("G0010", 1), ("HEPBVAC", 1)), ("Z23",))),
    PROCEDURE: (Variant(0.50, (("MINPROC", 1), ("A4550", 1)), ("B07.8", "L82.1", "L72.0", "L91.8")),
                Variant(0.30, (("INJJNT", 1), ("J3301", 4)), ("M17.11", "M17.12", "M19.011", "M77.11")),
                Variant(0.20, (("G0168", 1), ("A6402", 2)), ("S61.411A", "S01.81XA", "S81.811A"))),
}
ADD_ONS: Final[dict[int, tuple[AddOn, ...]]] = {
    NEW: (AddOn("LABDRAW", 1, 0.20), AddOn("UADIP", 1, 0.05), AddOn("FORMS", 1, 0.02)),
    FOLLOW_UP: (AddOn("LABDRAW", 1, 0.10), AddOn("UADIP", 1, 0.04), AddOn("J3420", 1, 0.03),
                AddOn("J1030", 1, 0.02), AddOn("J1885", 2, 0.02), AddOn("J7613", 3, 0.015),
                AddOn("FORMS", 1, 0.02)),
    ANNUAL: (AddOn("ECG12", 1, 0.10), AddOn("UADIP", 1, 0.10), AddOn("Q0091", 1, 0.15, only="female"),
             AddOn("G0444", 1, 0.60, only="medicare_annual")),
    VACCINATION: (),
    PROCEDURE: (),
}
# A Medicare patient's annual visit is the annual wellness visit, not a physical.
MEDICARE_ANNUAL: Final = ("PHYS", "G0439")
# Preventive visits: no copay, deductible or coinsurance for the patient.
PREVENTIVE_TYPES: Final = (ANNUAL, VACCINATION)


@dataclass(frozen=True)
class FeeSchedule:
    codes: tuple[str, ...]
    descriptions: tuple[str, ...]
    first_year: int
    cents: np.ndarray  # [code index, year - first_year] -> price in cents that year

    def index(self, code: str) -> int:
        return self.codes.index(code)


def hcpcs_slice() -> dict[str, str]:
    """code -> CMS long description, from the slice shipped in demo/data."""
    with HCPCS_SLICE.open(newline="", encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["code"]: r["long_description"] for r in rows}


def _description(code: str, cms: dict[str, str]) -> str:
    if code in PRACTICE_CODES:
        return PRACTICE_CODES[code]
    text = PLAIN.get(code) or cms[code]
    return text[:1].upper() + text[1:]


def _cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def fee_schedule(first_day: dt.date, today: dt.date) -> FeeSchedule:
    """Every code's price for each calendar year from ``first_day``'s to ``today``'s: this
    year's price, 3% less for each year back, rounded to 50 cents (never below 25 cents)."""
    cms = hcpcs_slice()
    codes = tuple(sorted(PRICES))
    years = today.year - first_day.year + 1
    table = np.zeros((len(codes), years), dtype=np.int64)
    for i, code in enumerate(codes):
        price = _cents(PRICES[code])
        for back in range(years):
            # Integer arithmetic: price / 1.03**back, to the nearest 50 cents.
            value = price * 100**back // (100 + YEARLY_RISE_PERCENT) ** back
            table[i, years - 1 - back] = max(25, (value + 25) // 50 * 50)
    return FeeSchedule(codes, tuple(_description(c, cms) for c in codes), first_day.year, table)


def insert_fee_schedule(cur: Connection, fees: FeeSchedule) -> int:
    """One row per code and year (the current year's open-ended); returns the row count."""
    n_codes, n_years = fees.cents.shape
    code = np.repeat(np.arange(n_codes), n_years)
    year = np.tile(np.arange(n_years), n_codes) + fees.first_year
    frame = pd.DataFrame({
        "code": pd.Categorical.from_codes(code, categories=list(fees.codes)),
        "description": pd.Categorical.from_codes(code, categories=list(fees.descriptions)),
        "cents": fees.cents.reshape(-1),
        "year": year,
        "last": year == fees.first_year + n_years - 1,
    })
    run_with_frame(cur, "seed_fees", frame,
                   "INSERT INTO fee_schedule (code, description, price, active, effective_from, effective_to)"
                   " SELECT code, description, CAST(CAST(cents AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(12, 2)), TRUE,"
                   " make_date(year, 1, 1), CASE WHEN last THEN NULL ELSE make_date(year, 12, 31) END"
                   " FROM seed_fees ORDER BY code, year")
    return len(frame)


def set_visit_type_lines(cur: Connection, type_ids: list[int]) -> None:
    """Each visit type's extra default lines: its first variant's lines after the first (the first
    is ``visit_types.default_fee_code``). Replaces what a pre-existing type had."""
    for type_index, variants in VARIANTS.items():
        type_id = type_ids[type_index]
        cur.execute("DELETE FROM visit_type_fee_lines WHERE visit_type_id = ?", [type_id])
        for position, (code, quantity) in enumerate(variants[0].lines[1:], start=1):
            cur.execute("INSERT INTO visit_type_fee_lines (visit_type_id, code, quantity, position) VALUES (?, ?, ?, ?)",
                        [type_id, code, quantity, position])


def all_diagnoses() -> set[str]:
    """Every ICD-10-CM code the demo puts on a line (for the test that checks them billable)."""
    codes = set(ACUTE_DX) | set(CHRONIC_DX) | set(ADULT_EXAM_DX) | set(CHILD_EXAM_DX)
    for variants in VARIANTS.values():
        for v in variants:
            codes |= set(v.diagnoses)
    return codes
