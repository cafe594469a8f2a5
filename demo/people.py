"""The demo's patients: who comes to which slot (established and new patients, one place at a
time), and their demographics (names, birth dates, phones, emails), numbered in registration order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from db import Connection
from demo.frames import DAY_S, day_number, reserve_ids, to_utc
from demo.names import AREA_CODES, FEMALE_NAMES, LAST_NAMES, MALE_NAMES, NEUTRAL_NAMES
from demo.practice import Scale
from demo.schedule import NEW, Appointments


@dataclass
class Patients:
    n: int
    n_established: int
    weight: np.ndarray  # how often each patient comes in
    no_show_propensity: np.ndarray  # multiplier with mean 1
    opt_in: np.ndarray
    created: np.ndarray | None = None  # naive local seconds


def generate_patients(rng: np.random.Generator, plan: Scale, appts: Appointments) -> Patients:
    """Give every slot a patient, then drop visits that would put one patient in two places.

    Patients 0..E-1 are established (registered before the window); patient E+k is new and
    comes first to the k-th "New patient" slot in time order. Any other slot on day d picks,
    weighted by visit frequency, among patients already known before d, so a new patient's
    first visit is always their "New patient" one.
    """
    order = np.lexsort((appts.provider, appts.start))
    appts.take(order)
    new_slots = np.flatnonzero(appts.type == NEW)
    n_new = len(new_slots)
    n_established = plan.patients - n_new
    patients = Patients(
        n=plan.patients,
        n_established=n_established,
        weight=rng.gamma(4.0, 1.0, plan.patients),
        no_show_propensity=rng.beta(1.5, 6.0, plan.patients) * (7.5 / 1.5),
        opt_in=rng.random(plan.patients) < 0.7,
    )
    who = np.empty(len(appts.day), dtype=np.int64)
    who[new_slots] = n_established + np.arange(n_new)
    others = np.flatnonzero(appts.type != NEW)
    known = n_established + np.searchsorted(appts.day[new_slots], appts.day[others], side="left")
    cum_w = np.cumsum(patients.weight)
    pick = np.searchsorted(cum_w, rng.random(len(others)) * cum_w[known - 1], side="right")
    who[others] = np.minimum(pick, known - 1)
    appts.patient = who

    # One patient, one place: sorted by patient then start, drop any visit that starts before
    # the latest end of the same patient's earlier visits (a running max, offset per patient so
    # one cumulative max serves all patients at once).
    order = np.lexsort((np.arange(len(who)), appts.start, who))
    span = int(appts.end.max() - appts.start.min()) + 1
    base = who[order] * span - int(appts.start.min())
    ends = np.maximum.accumulate(base + appts.end[order])
    clash = np.zeros(len(order), dtype=bool)
    clash[1:] = base[1:] + appts.start[order][1:] < ends[:-1]
    keep = np.ones(len(who), dtype=bool)
    keep[order[clash]] = False
    appts.take(keep)
    return patients


# --- demographics ------------------------------------------------------------------------------


def patient_frame(
    rng: np.random.Generator, cur: Connection, patients: Patients, today: dt.date, tz: str
) -> pd.DataFrame:
    """Demographics for every patient. Row i is generated patient i; ids and MRNs follow
    registration order, as they would have had the practice registered them one by one."""
    n = patients.n
    created = patients.created
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(created, kind="stable")] = np.arange(n)
    first_id = reserve_ids(cur, "patients_id_seq", n)
    first_mrn = reserve_ids(cur, "patients_mrn_seq", n)

    sex = rng.choice(4, n, p=[0.52, 0.46, 0.01, 0.01])
    female = np.array(FEMALE_NAMES, dtype=object)[rng.integers(0, len(FEMALE_NAMES), n)]
    male = np.array(MALE_NAMES, dtype=object)[rng.integers(0, len(MALE_NAMES), n)]
    neutral = np.array(NEUTRAL_NAMES, dtype=object)[rng.integers(0, len(NEUTRAL_NAMES), n)]
    first = np.where(sex == 0, female, np.where(sex == 1, male, neutral))
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]

    # Age when registered: a fifth children, the rest adults up to 90; nobody older than 95 now.
    # Born before registering, so newborns are always new patients registered inside the window.
    child = rng.random(n) < 0.2
    age_years = np.where(child, rng.uniform(0, 18, n), rng.uniform(18, 90, n))
    created_day = np.floor_divide(created, DAY_S)
    age_days = np.floor(age_years * 365.25).astype(np.int64)
    age_days = np.clip(age_days, 0, 95 * 365 - (day_number(today) - created_day))
    dob = (created_day - age_days).astype("datetime64[D]")

    def ascii_lower(values: np.ndarray) -> pd.Series:
        # "García-López" -> "garcialopez", "O'Brien" -> "obrien": addresses stay plain ASCII.
        return (pd.Series(values).str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
                .str.lower().str.replace(r"[^a-z]", "", regex=True))

    domain = pd.Series(np.where(rng.random(n) < 0.7, "@example.com", "@example.org"))
    email = ascii_lower(first) + "." + ascii_lower(last) + pd.Series(rank + 1).astype(str) + domain
    email = email.where(rng.random(n) < 0.88)
    area = pd.Series(np.array(AREA_CODES, dtype=object)[rng.integers(0, len(AREA_CODES), n)])
    # 555-0100..555-0199 are the numbers set aside for fiction in North America.
    phone = "+1" + area + "55501" + pd.Series(rng.integers(0, 100, n)).astype(str).str.zfill(2)
    phone = phone.where(rng.random(n) < 0.95)

    return pd.DataFrame({
        "id": first_id + rank,
        "mrn": pd.Series(first_mrn + rank).astype(str),
        "first_name": first,
        "last_name": last,
        "date_of_birth": dob,
        "sex": pd.Categorical.from_codes(sex, categories=["female", "male", "other", "unknown"]),
        "phone_mobile": phone,
        "email": email,
        "reminder_opt_in": patients.opt_in,
        "created_at": to_utc(created, tz),
    })


INSERT_PATIENTS = (
    "INSERT INTO patients (id, mrn, first_name, last_name, date_of_birth, sex, phone_mobile, email,"
    " reminder_opt_in, created_at)"
    " SELECT id, mrn, first_name, last_name, date_of_birth, sex, phone_mobile, email, reminder_opt_in, created_at"
    " FROM seed_patients ORDER BY id"
)
