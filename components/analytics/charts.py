"""Plotly helpers for the Analytics tabs: a titled line or bar chart with axis titles and units, a
table, each in the shared section frame (components.charts: heading, chart, one-line caption of
what it counts, CSV download; a plain message when there are no rows).

Colours are the Okabe–Ito palette, which people with any common colour-vision deficiency can tell
apart; series take them in order, the same series the same colour in every chart (pass
``colours`` to pin one). Values arrive ready from db/ functions: rates as fractions (0.12 is
12 %), money as float (``.df()``; drawn and written to CSV with two decimals, never summed here).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components.charts import plot, section

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, sky blue,
# reddish purple, yellow, black. Yellow comes late: it is faint on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
NOW_COLOUR, BEFORE_COLOUR = OKABE_ITO[0], "#9DB7CC"  # this period, and the comparison period (paler)

# unit -> (axis settings, hover format of a value)
UNITS = {
    "percent": (dict(tickformat=".0%", rangemode="tozero"), "%{y:.1%}"),
    "money": (dict(tickprefix="$", tickformat=",.0f", rangemode="tozero"), "$%{y:,.2f}"),
    "count": (dict(tickformat=",d", rangemode="tozero"), "%{y:,}"),
    "days": (dict(ticksuffix=" d", rangemode="tozero"), "%{y:.1f} days"),
    "number": (dict(rangemode="tozero"), "%{y:,.2f}"),
}


def _hover(unit: str, horizontal: bool = False) -> str:
    fmt = UNITS[unit][1]
    return fmt.replace("%{y", "%{x") if horizontal else fmt


def _colour(n: int, name: str, colours: dict[str, str] | None) -> str:
    return (colours or {}).get(name, OKABE_ITO[n % len(OKABE_ITO)])


def _traces(frame: pd.DataFrame, series: str | None) -> list[tuple[str, pd.DataFrame]]:
    if series is None:
        return [("", frame)]
    return [(str(name), rows) for name, rows in frame.groupby(series, sort=False)]


def line_chart(frame: pd.DataFrame, *, x: str, y: str, title: str, caption: str, empty: str, x_title: str,
               y_title: str, unit: str, csv_columns: dict[str, str], file_name: str, key: str,
               series: str | None = None, colours: dict[str, str] | None = None, x_dates: bool = True,
               extra: Sequence[tuple[str, ...]] = ()) -> None:
    """One line per ``series`` value (one line when None) of ``y`` over ``x``. ``extra`` are
    (column, label[, d3 format such as "$,.2f"]) added to the hover text, e.g. the counts behind
    a rate."""

    def draw() -> None:
        figure = go.Figure()
        for n, (name, rows) in enumerate(_traces(frame, series)):
            colour = _colour(n, name, colours)
            figure.add_scatter(x=rows[x], y=rows[y], mode="lines+markers", name=name or y_title,
                               line=dict(color=colour, width=2.5), marker=dict(color=colour, size=6),
                               customdata=rows[[c for c, *_ in extra]] if extra else None,
                               hovertemplate=_template(name, "%{x|%b %d, %Y}" if x_dates else "%{x}", unit, extra))
        figure.update_layout(height=340, showlegend=series is not None, yaxis=dict(title=y_title, **UNITS[unit][0]),
                             xaxis=dict(title=x_title, **({"tickformat": "%b %d"} if x_dates else {})))
        plot(figure, key)

    section(title, frame, empty=empty, draw=draw, caption=caption, csv_columns=csv_columns, file_name=file_name,
            key=key)


def bar_chart(frame: pd.DataFrame, *, x: str, y: str, title: str, caption: str, empty: str, x_title: str,
              y_title: str, unit: str, csv_columns: dict[str, str], file_name: str, key: str,
              series: str | None = None, stacked: bool = False, horizontal: bool = False,
              colours: dict[str, str] | None = None, x_dates: bool = False, x_format: str = "%b %d",
              extra: Sequence[tuple[str, ...]] = (), order: Sequence[str] | None = None) -> None:
    """Bars of ``y`` per ``x``; with ``series``, side by side (or ``stacked``). ``horizontal``
    puts the categories on the vertical axis (long names: payers, providers). ``order`` fixes the
    order of the categories (lead-time buckets, weekdays) instead of the frame's. ``x_dates``: the
    categories are dates, each bar labelled with ``x_format`` (weeks: "%b %d"; months: "%b %Y")."""

    def labels(values: pd.Series) -> pd.Series:
        # Dates become labels on a category axis: a bar per week or month, each named, none at odd ticks.
        return pd.to_datetime(values).dt.strftime(x_format) if x_dates else values

    def draw() -> None:
        figure = go.Figure()
        for n, (name, rows) in enumerate(_traces(frame, series)):
            across, up = (rows[y], labels(rows[x])) if horizontal else (labels(rows[x]), rows[y])  # plotly x, y
            figure.add_bar(x=across, y=up, orientation="h" if horizontal else "v", name=name or y_title,
                           marker_color=_colour(n, name, colours),
                           customdata=rows[[c for c, *_ in extra]] if extra else None,
                           hovertemplate=_template(name, "%{y}" if horizontal else "%{x}", unit, extra,
                                                   horizontal=horizontal))
        value_axis = dict(title=y_title, **UNITS[unit][0])
        category_axis = dict(title=x_title, automargin=True, type="category")
        if x_dates:  # in date order, whichever series has the first bar
            category_axis.update(categoryorder="array", categoryarray=list(labels(pd.Series(sorted(set(frame[x]))))))
        elif order is not None:  # only the categories there are: no empty Saturday on a weekday clinic
            present = set(frame[x])
            category_axis.update(categoryorder="array", categoryarray=[c for c in order if c in present])
        if horizontal:
            count = frame[x].nunique()
            figure.update_layout(height=max(260, 28 * count * (1 if stacked or series is None else 2) + 120),
                                 xaxis=value_axis, yaxis=dict(category_axis, autorange="reversed"))
        else:
            figure.update_layout(height=340, xaxis=category_axis, yaxis=value_axis)
        # legend_traceorder: the series in the order given, also when stacked (plotly reverses those).
        figure.update_layout(barmode="stack" if stacked else "group", showlegend=series is not None,
                             legend_traceorder="normal")
        plot(figure, key)

    section(title, frame, empty=empty, draw=draw, caption=caption, csv_columns=csv_columns, file_name=file_name,
            key=key)


def _template(name: str, where: str, unit: str, extra: Sequence[tuple[str, ...]], horizontal: bool = False) -> str:
    """The hover text: the series, where (the x value), the value in its unit, then each ``extra``
    (column, label[, d3 number format])."""
    lines = [f"{name}<br>{where}" if name else where, _hover(unit, horizontal)]
    for n, (_, label, *fmt) in enumerate(extra):
        lines.append(f"{label}: %{{customdata[{n}]{':' + fmt[0] if fmt else ''}}}")
    return "<br>".join(lines) + "<extra></extra>"


def table(frame: pd.DataFrame, *, title: str, caption: str, empty: str, columns: dict[str, object],
          csv_columns: dict[str, str], file_name: str, key: str) -> None:
    """A table (``columns``: the frame's column -> a heading or an st.column_config)."""

    def draw() -> None:
        st.dataframe(frame[list(columns)], key=key, hide_index=True, column_config=columns,
                     height=min(420, 36 * (len(frame) + 1) + 2))

    section(title, frame, empty=empty, draw=draw, caption=caption, csv_columns=csv_columns, file_name=file_name,
            key=key)


def with_previous(now: pd.DataFrame, before: pd.DataFrame | None, *, column: str = "period") -> pd.DataFrame:
    """The rows of this period and of the comparison period in one frame, told apart by
    ``column`` ("This period" / "Period before"), for side-by-side bars. Shaping only."""
    if before is None:
        return now
    return pd.concat([now.assign(**{column: "This period"}), before.assign(**{column: "Period before"})],
                     ignore_index=True)


PERIOD_COLOURS = {"This period": NOW_COLOUR, "Period before": BEFORE_COLOUR}
