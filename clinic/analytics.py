"""KPI formulas, exactly as DESIGN.md defines them."""

from __future__ import annotations


def no_show_rate(no_show: int, completed: int) -> float | None:
    """no_show / (completed + no_show); None when there is nothing to divide by."""
    total = no_show + completed
    if total == 0:
        return None
    return no_show / total


def booked_count(counts_by_status: dict[str, int]) -> int:
    """Appointments that still hold a slot or happened: every status except cancelled."""
    return sum(n for status, n in counts_by_status.items() if status != "cancelled")
