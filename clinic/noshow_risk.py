"""No-show risk, pure (numpy only): a small logistic model of the clinic's own history, the
reasons behind each score in plain words, and how well it ranks (AUC, calibration by decile).

The inputs per appointment (``Features``, read by ``db.noshow_risk`` from SQL) are what the desk
knows before the visit: the patient's earlier visits and misses, the lead time, the weekday, the
visit type, where the reminder stands. The model is a logistic regression fitted by Newton's
method (IRLS, step halving) with an L2 penalty, on one-hot groups plus one number, the patient's
own record (fitted on the distinct patterns of features with their counts: quick on years):

    history = logit(smoothed) - logit(clinic rate),  smoothed = (misses + k * clinic rate) / (visits + k)

(empirical Bayes: a patient with 1 miss in 1 visit is pulled most of the way back to the clinic's
rate; one with 8 of 10 is not). Every group's contribution to a score is its term minus the
term's average over the training visits, in log-odds (the patient's record: its term itself, so
a record like the clinic's pushes neither way): the reasons are the largest of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from clinic import analytics

# Prior strength of the clinic's rate, in visits: the patient's record counts for as much as the
# clinic's once they have had this many visits.
SMOOTHING_VISITS: Final = 5.0
L2_PENALTY: Final = 2.0  # on every weight but the intercept (sum of squares, log-odds units)
NEWTON_STEPS: Final = 30
# Bands by how a score compares with the clinic's no-show rate.
HIGH_TIMES, MEDIUM_TIMES = 2.0, 1.3
BANDS: Final = ("high", "medium", "low")
BAND_LABELS: Final = {"high": "High", "medium": "Medium", "low": "Low"}
BAND_COLOURS: Final = {"high": "red", "medium": "orange", "low": "gray"}
# A contribution smaller than this (log-odds) is not worth a reason; at most this many reasons.
MIN_EFFECT: Final = 0.1
MAX_REASONS: Final = 3

WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Where the reminder stands before the visit: clinic.analytics.REMINDER_GROUPS (db.noshow_risk
# reads it, also counting a confirmed status and a reminder logged without an outcome), in words.
REMINDER_GROUPS: Final = analytics.REMINDER_GROUPS
_REMINDER_WORDS: Final = {
    "confirmed": "confirmed",
    "wants to reschedule": "asked to reschedule",
    "not reached": "no reminder reached",
    analytics.REMINDER_SENT: "reminder sent, no reply",
    analytics.NO_REMINDER: "not reminded yet",
}
GROUPS: Final = ("history", "lead", "weekday", "visit_type", "reminder", "new")


@dataclass(frozen=True)
class Features:
    """One row per appointment, as numpy arrays of equal length."""

    prior_visits: np.ndarray  # completed + no-show visits starting before this one
    prior_no_shows: np.ndarray
    lead_days: np.ndarray  # clinic-local start date minus booked date
    weekday: np.ndarray  # 0 = Monday
    visit_type: np.ndarray  # the type's name
    reminder: np.ndarray  # one of REMINDER_GROUPS

    def __len__(self) -> int:
        return len(self.prior_visits)

    def take(self, rows) -> Features:
        """The rows picked by ``rows`` (indexes or a boolean mask)."""
        return Features(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Risk:
    score: float  # probability of a no-show, 0-1
    band: str  # high | medium | low
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Model:
    clinic_rate: float
    intercept: float
    columns: tuple[tuple[str, object], ...]  # (group, level) per weight; level None for a number
    weights: np.ndarray
    centre: dict[str, float]  # each group's average term over the training visits
    trained_on: int


# --- formulas ----------------------------------------------------------------------------------


def smoothed_rate(no_shows, visits, clinic_rate: float, k: float = SMOOTHING_VISITS) -> np.ndarray:
    """(no_shows + k * clinic_rate) / (visits + k): the patient's rate pulled toward the clinic's."""
    return (np.asarray(no_shows, float) + k * clinic_rate) / (np.asarray(visits, float) + k)


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(z, float), -35, 35)))


def _loss(x: np.ndarray, visits: np.ndarray, missed: np.ndarray, w: np.ndarray, ridge: np.ndarray) -> float:
    """The penalised negative log-likelihood of a logistic model, ``visits`` rows like each of
    ``x`` of which ``missed`` were no-shows."""
    z = x @ w
    return float(np.sum(visits * np.logaddexp(0, z) - missed * z) + 0.5 * np.sum(ridge * w * w))


def band(score: float, clinic_rate: float) -> str:
    """high at HIGH_TIMES the clinic's rate or more, medium at MEDIUM_TIMES, else low."""
    if score >= HIGH_TIMES * clinic_rate:
        return "high"
    if score >= MEDIUM_TIMES * clinic_rate:
        return "medium"
    return "low"


def average_ranks(values) -> np.ndarray:
    """1-based ranks, ties sharing the average of the ranks they span."""
    values = np.asarray(values, float)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.array([], bool)
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, len(values)])
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(starts + (counts + 1) / 2, counts)
    return ranks


def auc(outcomes, scores) -> float | None:
    """Area under the ROC curve by Mann-Whitney: the chance that a random no-show scores above a
    random kept visit (ties count half). None without both outcomes present."""
    y = np.asarray(outcomes, bool)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = average_ranks(scores)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True)
class CalibrationBin:
    decile: int  # 1 = the lowest predicted scores
    appointments: int
    predicted: float  # mean predicted no-show probability
    observed: float  # share that were no-shows


def calibration(outcomes, scores, bins: int = 10) -> list[CalibrationBin]:
    """Predicted against observed no-show rates, in ``bins`` equal-sized groups by score."""
    y = np.asarray(outcomes, float)
    s = np.asarray(scores, float)
    order = np.argsort(s, kind="mergesort")
    groups = [g for g in np.array_split(order, min(bins, len(order))) if len(g)] if len(order) else []
    return [CalibrationBin(i + 1, len(g), float(s[g].mean()), float(y[g].mean())) for i, g in enumerate(groups)]


# --- the model ---------------------------------------------------------------------------------


def _history(features: Features, clinic_rate: float) -> np.ndarray:
    rate = smoothed_rate(features.prior_no_shows, features.prior_visits, clinic_rate)
    return _logit(rate) - _logit(clinic_rate)


def _is_new(features: Features) -> np.ndarray:
    """No completed visit before: a new patient (a patient who only ever missed counts as new)."""
    return (np.asarray(features.prior_visits) - np.asarray(features.prior_no_shows)) <= 0


_CATEGORICAL: Final = ("lead", "weekday", "visit_type", "reminder")


def lead_buckets(days) -> np.ndarray:
    """clinic.analytics.lead_time_bucket of each number of days, for a whole array at once."""
    labels = np.array(analytics.LEAD_TIME_BUCKETS)
    return labels[np.searchsorted(np.array(analytics.LEAD_TIME_LIMITS), np.asarray(days, float), side="left")]


def _column(features: Features, group: str) -> np.ndarray:
    if group == "lead":
        return lead_buckets(features.lead_days)
    return {"weekday": features.weekday, "visit_type": features.visit_type,
            "reminder": features.reminder}[group]


def _design(features: Features, columns, clinic_rate: float) -> np.ndarray:
    x = np.zeros((len(features), len(columns)))
    values = {g: np.asarray(_column(features, g)) for g in _CATEGORICAL}
    for j, (group, level) in enumerate(columns):
        if group == "history":
            x[:, j] = _history(features, clinic_rate)
        elif group == "new":
            x[:, j] = _is_new(features)
        else:
            x[:, j] = values[group] == level
    return x


def _patterns(features: Features) -> tuple[np.ndarray, np.ndarray]:
    """(index of one row per distinct pattern of features, pattern number of every row). Every
    feature is a category or a pair of counts, so years of visits come down to a few thousand
    patterns: the model is fitted on those, each weighted by its visits."""
    key = np.zeros(len(features), np.int64)
    for values in (features.prior_visits, features.prior_no_shows, lead_buckets(features.lead_days),
                   features.weekday, features.visit_type, features.reminder):
        levels, codes = np.unique(np.asarray(values), return_inverse=True)
        key = key * len(levels) + codes.reshape(-1)
        key = np.unique(key, return_inverse=True)[1].reshape(-1)  # renumbered: never overflows
    _, first, pattern = np.unique(key, return_index=True, return_inverse=True)
    return first, pattern.reshape(-1)


def fit(features: Features, no_show, *, penalty: float = L2_PENALTY) -> Model:
    """A logistic regression of ``no_show`` (bools) on ``features``, by Newton steps with L2."""
    y = np.asarray(no_show, float)
    n = len(y)
    if n == 0:
        raise ValueError("no visits to learn from")
    clinic_rate = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
    columns = [("history", None), ("new", None)]
    for group in _CATEGORICAL:
        columns += [(group, level) for level in sorted(set(_column(features, group).tolist()))]
    first, pattern = _patterns(features)
    visits = np.bincount(pattern, minlength=len(first)).astype(float)
    missed = np.bincount(pattern, weights=y, minlength=len(first))
    x = np.hstack([np.ones((len(first), 1)), _design(features.take(first), columns, clinic_rate)])
    w = np.zeros(x.shape[1])
    w[0] = _logit(clinic_rate)
    ridge = np.full(x.shape[1], penalty)
    ridge[0] = 0.0
    loss = _loss(x, visits, missed, w, ridge)
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(x @ w)
        gradient = x.T @ (visits * p - missed) + ridge * w
        hessian = (x * (visits * p * (1 - p))[:, None]).T @ x + np.diag(ridge) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        # A full Newton step can overshoot (and then diverge) when the truth is not logistic in a
        # feature: halve it until the penalised loss goes down.
        scale = 1.0
        while (new_loss := _loss(x, visits, missed, w - scale * step, ridge)) > loss and scale > 1e-4:
            scale /= 2
        w -= scale * step
        if np.max(np.abs(scale * step)) < 1e-6 or loss - new_loss < 1e-9 * max(1.0, abs(loss)):
            break
        loss = new_loss
    terms = _terms(x[:, 1:], w[1:], columns)
    # Against an average training visit; the patient's record against the clinic's rate itself
    # (a patient missing as often as the clinic does, or new, has no push from it).
    centre = {g: 0.0 if g == "history" else float(np.average(t, weights=visits)) for g, t in terms.items()}
    return Model(clinic_rate, float(w[0]), tuple(columns), w[1:], centre, n)


def _terms(x: np.ndarray, weights: np.ndarray, columns) -> dict[str, np.ndarray]:
    """Each group's term in the log-odds, per row."""
    terms = {g: np.zeros(len(x)) for g in GROUPS}
    for j, (group, _) in enumerate(columns):
        terms[group] += x[:, j] * weights[j]
    return terms


def predict(model: Model, features: Features) -> np.ndarray:
    """No-show probabilities for each row of ``features``."""
    x = _design(features, model.columns, model.clinic_rate)
    return _sigmoid(model.intercept + x @ model.weights)


def contributions(model: Model, features: Features) -> dict[str, np.ndarray]:
    """Each group's push on each row's log-odds against an average training visit (+ raises risk)."""
    x = _design(features, model.columns, model.clinic_rate)
    return {g: t - model.centre.get(g, 0.0) for g, t in _terms(x, model.weights, model.columns).items()}


# --- reasons in words --------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def reason_text(group: str, effect: float, features: Features, i: int) -> str | None:
    """The words for one group's push on row ``i`` (None when it has nothing to say)."""
    more = "more" if effect > 0 else "less"
    if group == "history":
        visits, missed = int(features.prior_visits[i]), int(features.prior_no_shows[i])
        return f"{missed} of {visits} missed" if visits else None
    if group == "lead":
        days = int(features.lead_days[i])
        return "booked the same day" if days <= 0 else f"booked {_plural(days, 'day')} ahead"
    if group == "weekday":
        return f"{WEEKDAYS[int(features.weekday[i])]} visits are missed {more}"
    if group == "visit_type":
        return f"{features.visit_type[i]} visits are missed {more}"
    if group == "reminder":
        return _REMINDER_WORDS.get(str(features.reminder[i]))
    if group == "new":
        return "new patient" if _is_new(features)[i] else "returning patient"
    return None


def explain(model: Model, features: Features, scores: np.ndarray | None = None) -> list[Risk]:
    """A :class:`Risk` per row: its score, band, and the strongest reasons in plain words (what
    raises a score at or above the clinic's rate; what lowers one below it)."""
    scores = predict(model, features) if scores is None else scores
    pushes = contributions(model, features)
    risks = []
    for i, score in enumerate(scores):
        rising = bool(score >= model.clinic_rate)
        effects = sorted(((pushes[g][i], g) for g in GROUPS), reverse=rising)
        reasons = []
        for effect, group in effects:
            if (effect if rising else -effect) < MIN_EFFECT or len(reasons) == MAX_REASONS:
                break
            text = reason_text(group, effect, features, i)
            if text:
                reasons.append(text)
        risks.append(Risk(float(score), band(float(score), model.clinic_rate), reasons))
    return risks


def risk_text(risk: Risk) -> str:
    """"High · 3 of 5 missed, booked 40 days ahead": the band and the reasons, for a list."""
    label = BAND_LABELS[risk.band]
    return f"{label} · {', '.join(risk.reasons)}" if risk.reasons else label


def riskiest_first(rows: list, risks: dict[int, Risk]) -> list:
    """``rows`` (anything with an ``id``) by falling risk; equal risks keep their order, and rows
    without a score come last."""
    return sorted(rows, key=lambda r: (r.id not in risks, -risks[r.id].score if r.id in risks else 0.0))
