"""Public holidays for the clinic's country/state, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date

import holidays


def public_holidays(country: str, subdivision: str | None, years: range | list[int]) -> dict[date, str]:
    """{day: holiday name} for the given years; an unknown country or state gives {}."""
    try:
        table = holidays.country_holidays(country, subdiv=subdivision or None, years=list(years))
    except (NotImplementedError, KeyError, ValueError):
        return {}
    return {day: str(name) for day, name in sorted(table.items())}
