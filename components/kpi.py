"""KPI tiles: a row of bordered st.metric boxes."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Tile:
    label: str
    value: str | int
    help: str | None = None
    icon: str | None = None
    # The change against a comparison period, as text ("+2.1 pts", "-$120.00"); its arrow is green
    # when it goes up unless delta_color says otherwise ("inverse": down is good, "off": grey).
    delta: str | None = None
    delta_color: str = "normal"


# About how many characters of tile values fit side by side in the main column of a laptop-wide
# window: st.metric cuts a value that does not fit ("$4,923,…"), so long values get fewer per row.
ROW_CHARACTERS = 44


def tiles(items: list[Tile], *, columns: int | None = None) -> None:
    """Rows of tiles; ``columns`` keeps rows of different lengths the same tile width. Tiles with
    long values (dollar totals in the millions) go fewer to a row, so none is cut short."""
    if not items:
        return
    longest = max(len(str(item.value)) for item in items)
    per_row = max(1, min(len(items), ROW_CHARACTERS // max(longest, 1)))
    width = max(columns or 0, per_row)
    for start in range(0, len(items), per_row):
        for column, item in zip(st.columns(width), items[start:start + per_row]):
            with column:
                st.metric(item.label, item.value, help=item.help, border=True, delta=item.delta,
                          delta_color=item.delta_color)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
