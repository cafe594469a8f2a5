"""Public holidays for the clinic's country/state, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


def public_holidays(country: str, subdivision: str | None, years: range | list[int]) -> dict[date, str]:
    """{day: holiday name} for the given years; an unknown country or state gives {}."""
    found: dict[date, str] = {}
    for year in years:
        found.update(_one_year(country, subdivision or None, year))
    return found


@lru_cache(maxsize=256)
def _one_year(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    # Building a country's calendar takes milliseconds; bookings ask for it on every call.
    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=[year])
    except (NotImplementedError, KeyError, ValueError):
        return {}
    return {day: str(name) for day, name in sorted(table.items())}
