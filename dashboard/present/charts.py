"""Pure figure builders for the dashboard pages: an aggregated DataFrame in, a plotly Figure out.

No Streamlit here. Inputs arrive already aggregated (tens to a few thousand rows); every builder returns an
annotated empty figure, never an exception, when its frame is empty. Colours come from dashboard.present.palette.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from dashboard.present import palette
from dashboard.present.layout import (
    FONT_SIZE,
    ROW_HEIGHT,
    base_layout,
    count_ticks,
    empty_figure,
    horizontal_bar_layout,
    ints_if_integral,
    is_empty,
    is_whole,
    label_of,
    order_categories,
)
from dashboard.present.norm_charts import build_norm_matrix, build_trajectory

# The pages call every builder as charts.build_*; the norm figures live in norm_charts.
__all__ = [
    "build_count_bar",
    "build_dyad_bar",
    "build_heatmap",
    "build_movers_bar",
    "build_norm_matrix",
    "build_timeline",
    "build_trajectory",
    "build_trend_figure",
    "empty_figure",
]

REST = "__rest__"  # the merged "All others" category
TOTAL = "__total__"  # the single series of an unstacked trend


def _month_strings(values: pd.Series) -> pd.Series:
    """'YYYY-MM' strings (or dates) as monthly periods; unreadable values become NaT."""
    parsed = pd.to_datetime(values.astype(str).str[:7], format="%Y-%m", errors="coerce")
    return parsed.dt.to_period("M")


def _monthly_pivot(
    data: pd.DataFrame, stack_col: str, value_col: str, max_categories: int
) -> tuple[pd.DataFrame, list[Any]]:
    """Months x categories (every month in the range, zeros where none) and the categories in stacking order.

    Beyond `max_categories` the smallest categories are merged into the REST column.
    """
    pivot = data.pivot_table(index="month", columns=stack_col, values=value_col, aggfunc="sum", fill_value=0)
    months = pd.period_range(pivot.index.min(), pivot.index.max(), freq="M")
    pivot = pivot.reindex(months, fill_value=0)  # months without incidents are zeros, not gaps
    order = order_categories(pivot.sum())
    if len(order) > max_categories:
        keep = [k for k in pivot.sum().sort_values(ascending=False, kind="stable").index if k != "other"]
        keep = keep[: max_categories - 1]
        pivot[REST] = pivot.drop(columns=keep).sum(axis=1)
        pivot = pivot[[*keep, REST]]
        order = [*keep, REST]
    return pivot, order


def _band(x: list[str], y: list[Any], name: str, colour: str, mode: Literal["bar", "area"]) -> go.Bar | go.Scatter:
    """One category of the stacked trend: a bar series, or a stacked area."""
    hover = f"{name}: %{{y:,}}<extra></extra>"
    if mode == "area":
        return go.Scatter(
            x=x,
            y=y,
            name=name,
            mode="lines",
            stackgroup="one",
            line={"width": 0.5, "color": colour},
            fillcolor=colour,
            hovertemplate=hover,
        )
    return go.Bar(x=x, y=y, name=name, marker={"color": colour, "line": {"width": 0}}, hovertemplate=hover)


def build_trend_figure(
    monthly: pd.DataFrame,
    *,
    stack_col: str | None,
    value_col: str = "incidents",
    rolling: int = 3,
    title: str = "",
    labels: Mapping[Any, str] | None = None,
    colours: Mapping[Any, str] | None = None,
    mode: Literal["bar", "area"] = "bar",
    value_label: str = "Incidents per month",
    max_categories: int = 9,
    height: int = 440,
    legend_below: bool = False,
) -> go.Figure:
    """Monthly stacked bars (or areas) by `stack_col` with a line for the rolling mean of the monthly total.

    Beyond `max_categories` the smallest categories are merged into one grey "All others" band; with
    `stack_col=None` (columns month and value_col only) the bars are one series.
    """
    if is_empty(monthly):
        return empty_figure(title)
    data = monthly.copy()
    if stack_col is None:
        stack_col = TOTAL
        data[TOTAL] = TOTAL
        labels = {TOTAL: value_col.replace("_", " ").capitalize()}
        colours = {TOTAL: palette.PRIMARY}
    data = data[["month", stack_col, value_col]]
    data["month"] = _month_strings(data["month"])
    data = data.dropna(subset=["month"])
    if data.empty:
        return empty_figure(title)
    data[stack_col] = data[stack_col].fillna("other").astype(str)
    pivot, order = _monthly_pivot(data, stack_col, value_col, max_categories)
    x = [p.strftime("%Y-%m") for p in pivot.index]
    colour_map = dict(colours) if colours else palette.distinct_colours(stack_col, [k for k in order if k != REST])
    colour_map[REST] = palette.GREY
    labels = {**(labels or {}), REST: "All others"}

    fig = go.Figure()
    for key in order:
        colour = colour_map.get(key) or palette.fallback_colour(key)
        fig.add_trace(_band(x, ints_if_integral(pivot[key]), label_of(labels, key), colour, mode))
    if rolling and rolling > 1:
        total = pivot.sum(axis=1)
        mean = total.rolling(rolling, min_periods=1).mean().round(2)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=mean.tolist(),
                name=f"{rolling}-month average" if stack_col == TOTAL else f"Total, {rolling}-month average",
                mode="lines",
                line={"color": palette.BLACK, "width": 2.5},
                hovertemplate=f"{rolling}-month average: %{{y:,.1f}}<extra></extra>",
            )
        )
    # Reversed legend: the first (largest) band sits at the bottom of the stack and of the legend.
    fig.update_layout(barmode="stack", bargap=0.08, hovermode="x unified", legend={"traceorder": "reversed"})
    if legend_below:  # for narrow columns: the legend would otherwise take half the width
        fig.update_layout(legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "traceorder": "normal"})
    fig.update_xaxes(type="date", hoverformat="%b %Y", showgrid=False)
    fig.update_yaxes(title_text=value_label, rangemode="tozero", gridcolor=palette.GRID)
    if is_whole(pivot.to_numpy().ravel()):  # counts: never a tick at 0.5 incidents
        fig.update_yaxes(**count_ticks(float(pivot.sum(axis=1).max())))
    return base_layout(fig, title, height=height)


def build_heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    x_labels: Mapping[Any, str] | None = None,
    y_labels: Mapping[Any, str] | None = None,
    title: str = "",
    value_label: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """A y x x heatmap (e.g. sector by incident type) with the count written in each non-empty cell."""
    if is_empty(frame):
        return empty_figure(title)
    pivot = frame.pivot_table(index=y, columns=x, values=value, aggfunc="sum", fill_value=0)
    pivot = pivot.loc[order_categories(pivot.sum(axis=1)), order_categories(pivot.sum(axis=0))]
    z = [ints_if_integral(row) for _, row in pivot.iterrows()]
    text = [["" if v == 0 else f"{v:,}" for v in row] for row in z]
    value_label = value_label or value.replace("_", " ").capitalize()
    zmax = max(1, max((max(row) for row in z), default=1))
    whole = count_ticks(zmax) if is_whole([v for row in z for v in row]) else {}
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[label_of(x_labels, k) for k in pivot.columns],
            y=[label_of(y_labels, k) for k in pivot.index],
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            colorscale=_zero_white(palette.SEQUENTIAL),
            zmin=0,
            zmax=zmax,
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": value_label}, "thickness": 14, **whole},
            hovertemplate=f"%{{y}}<br>%{{x}}<br>{value_label}: %{{z:,}}<extra></extra>",
        )
    )
    fig.update_xaxes(side="top", tickangle=-35, showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_layout(plot_bgcolor="white")
    return base_layout(fig, title, height=height or max(320, ROW_HEIGHT * len(pivot.index) + 190))


def _zero_white(scale: list[list[float | str]]) -> list[list[float | str]]:
    """The scale with exact zeros drawn white, so empty cells read as empty."""
    return [[0.0, "#FFFFFF"], [0.0001, scale[0][1]], *[[max(0.0001, float(p)), c] for p, c in scale[1:]]]


def build_dyad_bar(
    frame: pd.DataFrame, *, top: int = 15, title: str = "Most frequent initiator → target pairs"
) -> go.Figure:
    """Horizontal bars of the `top` initiator -> target dyads by incidents (names already resolved)."""
    if is_empty(frame):
        return empty_figure(title)
    dyads = (
        frame.assign(initiator=frame["initiator"].fillna("Unknown"), target=frame["target"].fillna("Unknown"))
        .groupby(["initiator", "target"], as_index=False)["incidents"]
        .sum()
        .sort_values(["incidents", "initiator", "target"], ascending=[False, True, True], kind="stable")
        .head(top)
    )
    labels = (dyads["initiator"].astype(str) + " → " + dyads["target"].astype(str)).tolist()
    counts = ints_if_integral(dyads["incidents"])
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker={"color": palette.PRIMARY},
            text=[f"{c:,}" for c in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>Incidents: %{x:,}<extra></extra>",
        )
    )
    horizontal_bar_layout(fig, "Incidents", counts)
    return base_layout(fig, title, height=max(260, ROW_HEIGHT * len(labels) + 120))


TIMELINE_LABEL_CHARS = 40  # longest project name written on the timeline's axis; the hover has the full name
TIMELINE_ROW_PX = 22  # pixels per project, until the timeline reaches its tallest
TIMELINE_MAX_HEIGHT = 1000  # the tallest timeline: beyond it the rows get thinner (and their labels smaller)
TIMELINE_CHROME_PX = 170  # title, legend and date axis


def _shorten(text: str, limit: int = TIMELINE_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _distinct_labels(names: pd.Series) -> list[str]:
    """Shortened names, made distinct: bars on one y category would overlap."""
    seen: dict[str, int] = {}
    rows = []
    for name in names:
        short = _shorten(name)
        seen[short] = seen.get(short, 0) + 1
        suffix = f" ({seen[short]})"
        rows.append(short if seen[short] == 1 else _shorten(name, TIMELINE_LABEL_CHARS - len(suffix)) + suffix)
    return rows


def _kind_rank(kinds: pd.Series) -> pd.Series:
    """The position of each kind in the vocabulary's order (the palette's); kinds it lacks after, by name."""
    order = list(palette.PARTNERSHIP_KIND_COLOURS)
    order += sorted(set(kinds.astype(str)) - set(order))
    return kinds.astype(str).map({k: n for n, k in enumerate(order)})


def build_timeline(
    frame: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    labels: Mapping[Any, str] | None = None,
    title: str = "Projects and partnerships over time",
    limit: int = 60,
) -> go.Figure:
    """Gantt-like bars of projects (name, kind, start_date, end_date, status), the `limit` most recent, grouped by
    kind (a line between groups), oldest first within a kind; long names are cut on the axis and whole on hover."""
    import plotly.express as px

    if is_empty(frame):
        return empty_figure(title)
    as_of = as_of or dt.date.today()
    data = frame[["name", "kind", "start_date", "end_date", "status"]].copy()
    data["start"] = pd.to_datetime(data["start_date"], errors="coerce")
    data = data.dropna(subset=["start"])
    if data.empty:
        return empty_figure(title)
    data = data.sort_values(["start", "name"], ascending=[False, True], kind="stable").head(limit)
    data["group"] = _kind_rank(data["kind"])
    data = data.sort_values(["group", "start", "name"], kind="stable")
    end = pd.to_datetime(data["end_date"], errors="coerce")
    data["open_ended"] = end.isna()
    data["finish"] = end.fillna(pd.Timestamp(as_of))
    data["finish"] = data[["start", "finish"]].max(axis=1) + pd.Timedelta(days=1)  # visible even if 0 days long
    names = data["name"].astype(str)
    data["row"] = _distinct_labels(names)
    data["full_name"] = names
    data["kind_label"] = [label_of(labels, k) for k in data["kind"]]
    data["until"] = [
        "open-ended" if o else e.date().isoformat() for o, e in zip(data["open_ended"], end.reindex(data.index))
    ]
    data["from"] = data["start"].dt.date.astype(str)
    colour_map = {label_of(labels, k): c for k, c in palette.colours_for("kind", data["kind"].astype(str)).items()}
    fig = px.timeline(
        data,
        x_start="start",
        x_end="finish",
        y="row",
        color="kind_label",
        color_discrete_map=colour_map,
        custom_data=["full_name", "kind_label", "status", "from", "until"],
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}, %{customdata[2]}"
        "<br>%{customdata[3]} to %{customdata[4]}<extra></extra>",
        marker={"line": {"width": 0}},
    )
    fig.add_shape(
        type="line",
        x0=as_of.isoformat(),
        x1=as_of.isoformat(),
        y0=0,
        y1=1,
        xref="x",
        yref="paper",
        line={"color": palette.DARK_GREY, "width": 1, "dash": "dash"},
    )
    groups = data["group"].tolist()
    for pos in range(1, len(groups)):  # a line between kinds
        if groups[pos] != groups[pos - 1]:
            fig.add_hline(y=pos - 0.5, line={"color": palette.DARK_GREY, "width": 1})
    row_px = min(TIMELINE_ROW_PX, (TIMELINE_MAX_HEIGHT - TIMELINE_CHROME_PX) / len(data))
    fig.update_yaxes(
        autorange="reversed",
        title_text="",
        categoryorder="array",
        categoryarray=data["row"].tolist(),
        showgrid=False,
        tickfont={"size": FONT_SIZE if row_px >= 18 else FONT_SIZE - 2},
    )
    fig.update_xaxes(title_text="", gridcolor=palette.GRID)
    fig.update_layout(legend={"title": {"text": ""}, "orientation": "h", "y": -0.04, "yanchor": "top", "x": 0})
    return base_layout(fig, title, height=max(300, round(row_px * len(data)) + TIMELINE_CHROME_PX))


def build_count_bar(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    labels: Mapping[Any, str] | None = None,
    title: str = "",
    top: int | None = None,
    value_label: str | None = None,
) -> go.Figure:
    """Horizontal bars of counts per category (partnership kind, focus, party type), largest first."""
    if is_empty(frame):
        return empty_figure(title)
    counts = frame.groupby(category, dropna=False)[value].sum().sort_values(ascending=False, kind="stable")
    counts.index = counts.index.map(lambda k: "unknown" if pd.isna(k) else k)
    if top and len(counts) > top:
        rest = counts.iloc[top - 1 :].sum()
        counts = pd.concat([counts.iloc[: top - 1], pd.Series({"__rest__": rest})])
    keys = counts.index.tolist()
    family = palette.family_colours(category)
    bar_colours = [
        palette.GREY
        if k == "__rest__"
        else (family.get(k) or palette.fallback_colour(k))
        if family
        else palette.PRIMARY
        for k in keys
    ]
    names = ["All others" if k == "__rest__" else label_of(labels, k) for k in keys]
    values = ints_if_integral(counts)
    value_label = value_label or value.replace("_", " ").capitalize()
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker={"color": bar_colours},
            text=[f"{v:,}" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}<br>{value_label}: %{{x:,}}<extra></extra>",
        )
    )
    horizontal_bar_layout(fig, value_label, values)
    return base_layout(fig, title, height=max(240, ROW_HEIGHT * len(names) + 120))


def build_movers_bar(
    frame: pd.DataFrame,
    label_col: str,
    delta_col: str,
    title: str = "",
    *,
    increase_is_good: bool = False,
    top: int = 12,
    value_label: str = "Change vs previous period",
) -> go.Figure:
    """Diverging horizontal bars of the change vs the previous period (biggest absolute changes, rises on top)."""
    if is_empty(frame):
        return empty_figure(title)
    data = frame[[label_col, delta_col]].copy()
    data[delta_col] = pd.to_numeric(data[delta_col], errors="coerce")
    data = data[data[delta_col].notna() & (data[delta_col] != 0)]
    if data.empty:
        return empty_figure(title, "No change from the previous period")
    data = data.reindex(data[delta_col].abs().sort_values(ascending=False, kind="stable").index).head(top)
    data = data.sort_values(delta_col, ascending=False, kind="stable")
    deltas = ints_if_integral(data[delta_col])
    up, down = (palette.GOOD, palette.BAD) if increase_is_good else (palette.BAD, palette.GOOD)
    fig = go.Figure(
        go.Bar(
            x=deltas,
            y=data[label_col].astype(str).tolist(),
            orientation="h",
            marker={"color": [up if d > 0 else down for d in deltas]},
            text=[f"+{d:,}" if d > 0 else f"−{abs(d):,}" for d in deltas],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}<br>{value_label}: %{{x:+,}}<extra></extra>",
        )
    )
    horizontal_bar_layout(fig, value_label, deltas)
    fig.update_xaxes(zeroline=True, zerolinecolor=palette.DARK_GREY, zerolinewidth=1.5)
    return base_layout(fig, title, height=max(240, ROW_HEIGHT * len(deltas) + 120))
