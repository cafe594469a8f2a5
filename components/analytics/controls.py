"""The controls every Analytics tab shares, in one row: the period (presets or custom dates),
comparing with the period just before, the provider and the visit type. They give a
:class:`Filters`, which the tabs pass to the db/ report functions.

Periods are clinic-local dates with the end EXCLUSIVE (as db.reports takes them); the presets and
the comparison period (the same number of days just before) are clinic.analytics'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from clinic import analytics
from db import Connection, providers, visit_types

CUSTOM = "custom"
PRESETS = (*analytics.PERIOD_PRESETS, CUSTOM)
PRESET_LABELS = {**analytics.PERIOD_PRESETS, CUSTOM: "Custom dates"}
DEFAULT_PRESET = "last_90_days"


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # exclusive
    previous: tuple[date, date] | None  # the comparison period, when comparing
    provider_id: int | None
    type_id: int | None
    provider_name: str | None = None
    type_name: str | None = None

    @property
    def label(self) -> str:
        """"02/02/2026 to 03/01/2026" (the last day included, as people say it)."""
        return period_label(self.start, self.end)

    @property
    def scope(self) -> str:
        """Who and what the numbers cover, for captions: "all providers, all visit types"."""
        return (f"{self.provider_name or 'all providers'}, "
                f"{self.type_name + ' visits' if self.type_name else 'all visit types'}")


def period_label(start: date, end: date) -> str:
    return f"{start:%m/%d/%Y} to {end - timedelta(days=1):%m/%d/%Y}"


def controls(conn: Connection, today: date) -> Filters:
    """The row of controls; returns what they select."""
    period, custom, compare, who, what = st.columns([1.3, 1.6, 1.2, 1.5, 1.5], vertical_alignment="bottom")
    preset = period.selectbox("Period", PRESETS, index=PRESETS.index(DEFAULT_PRESET), key="analytics_preset",
                              format_func=PRESET_LABELS.get,
                              help="\"Last ... days\" end yesterday: today's visits are not over yet.")
    if preset == CUSTOM:
        picked = custom.date_input("From – to", value=(today - timedelta(days=27), today), max_value=today,
                                   format="MM/DD/YYYY", key="analytics_dates", help="Both days included.")
        first, last = (picked[0], picked[-1]) if picked else (today - timedelta(days=27), today)
        start, end = first, last + timedelta(days=1)
    else:
        start, end = analytics.preset_period(preset, today)
        custom.text_input("From – to", value=period_label(start, end), disabled=True, key="analytics_dates_shown")
    comparing = compare.toggle("Compare", value=True, key="analytics_compare",
                               help="Tiles show the change against the same number of days just before, and "
                                    "the no-show bars the period before beside this one.")
    people = providers.list_providers(conn, active_only=False)
    names = {p.id: p.name for p in people}
    provider_id = who.selectbox("Provider", [None, *names], format_func=lambda i: "All providers" if i is None
                                else names[i], key="analytics_provider")
    kinds = {t.id: t.name for t in visit_types.list_active(conn)}
    type_id = what.selectbox("Visit type", [None, *kinds], format_func=lambda i: "All visit types" if i is None
                             else kinds[i], key="analytics_type")
    return Filters(start=start, end=end, previous=analytics.previous_period(start, end) if comparing else None,
                   provider_id=provider_id, type_id=type_id, provider_name=names.get(provider_id),
                   type_name=kinds.get(type_id))
