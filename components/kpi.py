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


def tiles(items: list[Tile], *, columns: int | None = None) -> None:
    """One row of tiles; ``columns`` keeps rows of different lengths the same tile width."""
    if not items:
        return
    for column, item in zip(st.columns(max(columns or 0, len(items))), items):
        with column:
            st.metric(item.label, item.value, help=item.help, border=True)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
