"""The no-show risk model, pure: the AUC against hand-computed values (ties count half), the
smoothing of a patient's record toward the clinic's rate, calibration by decile, a model that
ranks a synthetic history on held-out visits, and reasons that name the strongest factor."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clinic import analytics
from clinic import noshow_risk as nr


def test_auc_of_a_hand_computed_case_counts_a_tie_as_half():
    # No-shows score 0.9 and 0.4, kept visits 0.1 and 0.4: of the 4 pairs, 3 are ranked right
    # and one is tied (0.4 against 0.4): (3 + 0.5) / 4.
    assert nr.auc([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.4]) == pytest.approx(0.875)


@pytest.mark.parametrize(("scores", "expected"), [
    ([0.1, 0.2, 0.8, 0.9], 1.0),  # every no-show above every kept visit
    ([0.9, 0.8, 0.2, 0.1], 0.0),  # every one below
    ([0.5, 0.5, 0.5, 0.5], 0.5),  # all tied: no better than a coin
])
def test_auc_known_values(scores, expected):
    assert nr.auc([0, 0, 1, 1], scores) == expected


def test_auc_equals_counting_every_pair_on_random_scores_with_ties():
    rng = np.random.default_rng(11)
    outcomes = rng.random(60) < 0.3
    scores = rng.integers(0, 6, 60) / 5  # many ties
    pairs = [(1.0 if p > n else 0.5 if p == n else 0.0)
             for p, n in itertools.product(scores[outcomes], scores[~outcomes])]
    assert nr.auc(outcomes, scores) == pytest.approx(sum(pairs) / len(pairs))


def test_auc_needs_both_outcomes():
    assert nr.auc([0, 0, 0], [0.1, 0.2, 0.3]) is None
    assert nr.auc([1, 1], [0.1, 0.2]) is None
    assert nr.auc([], []) is None


def test_tied_values_share_the_average_rank():
    assert nr.average_ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert nr.average_ranks([5, 5, 5]).tolist() == [2.0, 2.0, 2.0]


def test_smoothing_pulls_a_one_of_one_patient_toward_the_clinic_rate():
    clinic = 0.1
    one_of_one = float(nr.smoothed_rate(1, 1, clinic))
    assert one_of_one == pytest.approx((1 + 5 * 0.1) / (1 + 5))  # 0.25, not 100%
    assert abs(one_of_one - clinic) < abs(1.0 - one_of_one)
    # A long record keeps its own rate: 8 missed of 10 stays far above the clinic's.
    assert float(nr.smoothed_rate(8, 10, clinic)) > 0.5
    # No record at all is the clinic's rate itself.
    assert float(nr.smoothed_rate(0, 0, clinic)) == pytest.approx(clinic)


@pytest.mark.parametrize(("days", "label"), [
    (0, "0"), (1, "1-2"), (2, "1-2"), (3, "3-7"), (7, "3-7"), (8, "8-14"), (14, "8-14"),
    (15, "15-30"), (30, "15-30"), (31, "31+"), (400, "31+"), (-2, "0"),
])
def test_lead_time_buckets_are_designs(days, label):
    assert nr.lead_buckets([days]).tolist() == [label]


def test_lead_buckets_agree_with_the_analytics_charts_day_by_day():
    days = list(range(-3, 70))
    assert nr.lead_buckets(days).tolist() == [analytics.lead_time_bucket(d) for d in days]


def test_calibration_by_decile_compares_predicted_and_observed_rates():
    scores = np.arange(100) / 100
    outcomes = np.arange(100) >= 90  # only the top tenth missed
    bins = nr.calibration(outcomes, scores)
    assert [b.decile for b in bins] == list(range(1, 11))
    assert all(b.appointments == 10 for b in bins)
    assert bins[0].predicted == pytest.approx(0.045) and bins[-1].predicted == pytest.approx(0.945)
    assert [b.observed for b in bins] == [0.0] * 9 + [1.0]
    assert nr.calibration([], []) == []
    assert len(nr.calibration([1, 0, 0], [0.2, 0.1, 0.3])) == 3  # fewer visits than deciles


def test_bands_compare_a_score_with_the_clinics_rate():
    assert nr.band(0.25, 0.1) == "high"
    assert nr.band(0.15, 0.1) == "medium"
    assert nr.band(0.09, 0.1) == "low"


# --- a synthetic history ----------------------------------------------------------------------


def synthetic(n: int, seed: int, *, drive: str):
    """Visits where one factor clearly drives no-shows: ``lead`` (booked weeks ahead),
    ``monday``, or ``history`` (a few patients who miss most visits)."""
    rng = np.random.default_rng(seed)
    lead = rng.integers(0, 45, n)
    weekday = rng.integers(0, 5, n)
    visits = rng.integers(0, 8, n)
    habitual = rng.random(n) < 0.1
    missed = np.where(habitual, np.round(visits * 0.8), np.round(visits * 0.05)).astype(int)
    p = np.full(n, 0.06)
    if drive == "lead":
        p = np.where(lead > 21, 0.5, 0.03)
    elif drive == "monday":
        p = np.where(weekday == 0, 0.45, 0.05)
    elif drive == "history":
        p = np.where(habitual & (visits > 2), 0.7, 0.05)
    features = nr.Features(
        prior_visits=visits, prior_no_shows=missed, lead_days=lead, weekday=weekday,
        visit_type=rng.choice(np.array(["Follow-up", "Physical"], dtype=object), n),
        reminder=rng.choice(np.array(["reminder sent", "no reminder recorded", "confirmed"], dtype=object), n),
    )
    return features, rng.random(n) < p


@pytest.mark.parametrize("drive", ["lead", "monday", "history"])
def test_the_model_ranks_held_out_visits_where_a_factor_drives_no_shows(drive):
    features, no_show = synthetic(3000, seed=5, drive=drive)
    train, test = slice(0, 2400), slice(2400, 3000)  # the later fifth is held out
    model = nr.fit(features.take(train), no_show[train])
    assert nr.auc(no_show[test], nr.predict(model, features.take(test))) > 0.7


def test_the_first_reason_names_the_strongest_factor():
    features, no_show = synthetic(3000, seed=6, drive="monday")
    model = nr.fit(features, no_show)
    monday = int(np.flatnonzero((features.weekday == 0) & (features.prior_visits == 0))[0])
    (risk,) = nr.explain(model, features.take([monday]))
    assert risk.band == "high"
    assert risk.reasons[0] == "Monday visits are missed more"

    features, no_show = synthetic(3000, seed=7, drive="history")
    model = nr.fit(features, no_show)
    habit = int(np.flatnonzero(features.prior_no_shows >= 4)[0])
    (risk,) = nr.explain(model, features.take([habit]))
    visits, missed = int(features.prior_visits[habit]), int(features.prior_no_shows[habit])
    assert risk.reasons[0] == f"{missed} of {visits} missed"
    assert nr.risk_text(risk).startswith(f"High · {missed} of {visits} missed")


def test_a_low_score_gives_what_lowers_it_and_a_long_lead_reads_in_days():
    features, no_show = synthetic(3000, seed=8, drive="lead")
    model = nr.fit(features, no_show)
    far = int(np.flatnonzero(features.lead_days == 40)[0])
    near = int(np.flatnonzero(features.lead_days == 1)[0])
    risk_far, risk_near = nr.explain(model, features.take([far, near]))
    assert risk_far.score > risk_near.score
    assert "booked 40 days ahead" in risk_far.reasons
    assert risk_near.band == "low" and "booked 1 day ahead" in risk_near.reasons


def test_a_level_never_seen_in_training_scores_like_an_average_one():
    features, no_show = synthetic(500, seed=9, drive="lead")
    model = nr.fit(features, no_show)
    odd = features.take([0])
    odd = nr.Features(**{**vars(odd), "visit_type": np.array(["Brand new type"], dtype=object)})
    (risk,) = nr.explain(model, odd)
    assert 0 < risk.score < 1


def test_riskiest_first_keeps_the_order_of_equal_risks_and_puts_the_unscored_last():
    class Row:
        def __init__(self, id):
            self.id = id

    rows = [Row(i) for i in range(5)]
    risks = {0: nr.Risk(0.1, "low"), 1: nr.Risk(0.4, "high"), 3: nr.Risk(0.1, "low"), 4: nr.Risk(0.2, "medium")}
    assert [r.id for r in nr.riskiest_first(rows, risks)] == [1, 4, 0, 3, 2]
