"""The timeline of attribution and response events: dates across, one row per state or per kind, a marker per event
coloured by its kind (circles for attributions, diamonds for responses; hollow when the source gives no date).

Pure: a frame of events in (dashboard/read/event_timeline.EVENT_COLUMNS plus the `row`, `who` and `whom` texts the
page wrote), a plotly Figure out. The figure holds at most `limit` events, the most recent; the table under it holds
them all.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard.present import palette
from dashboard.present.labels import UNDATED_EVENT
from dashboard.present.layout import FONT_SIZE, base_layout, empty_figure, is_empty

TIMELINE_LIMIT = 2500  # events drawn at most (the most recent): a figure carries a few thousand points at most
TIMELINE_ROWS = 25  # rows at most; the events of the others share one row
OTHER_ROWS = "All others"
ROW_PX = 26
CHROME_PX = 200  # title, legend and date axis


def event_colour(event: str, kind: str) -> str:
    """The colour of one kind of event (a stable fallback for a kind the palette lacks)."""
    return palette.EVENT_KIND_COLOURS.get(event, {}).get(kind) or palette.fallback_colour(f"{event}:{kind}")


def _rows_kept(rows: pd.Series, limit: int) -> list[str]:
    """The `limit` rows with the most events (ties by name); the rest go to OTHER_ROWS."""
    counts = rows.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return [str(name) for name, _ in ranked[:limit]]


def build_event_timeline(
    events: pd.DataFrame,
    *,
    kind_names: Mapping[str, str],
    title: str = "Attributions and responses over time",
    limit: int = TIMELINE_LIMIT,
    max_rows: int = TIMELINE_ROWS,
) -> go.Figure:
    """Markers of events (columns event, kind, date, dated, row, title, who, whom, link) on a date axis, one row per
    `row` value (the `max_rows` with most events; the others on one row), one legend entry per kind present.

    kind_names: "<event>:<kind>" -> the name shown ("Attribution: Government")."""
    if is_empty(events):
        return empty_figure(title)
    data = events.sort_values("date", ascending=False, kind="stable").head(limit).copy()
    data["x"] = pd.to_datetime(data["date"], errors="coerce")
    data = data.dropna(subset=["x"])
    if data.empty:
        return empty_figure(title)
    kept = _rows_kept(data["row"].astype(str), max_rows)
    data["y"] = [r if r in kept else OTHER_ROWS for r in data["row"].astype(str)]
    order = kept + ([OTHER_ROWS] if (data["y"] == OTHER_ROWS).any() else [])
    fig = go.Figure()
    family_order = list(palette.EVENT_KIND_COLOURS)
    groups = sorted(
        data.groupby(["event", "kind"], sort=False),
        key=lambda g: (
            family_order.index(g[0][0]) if g[0][0] in family_order else 99,
            list(palette.EVENT_KIND_COLOURS.get(g[0][0], {})).index(g[0][1])
            if g[0][1] in palette.EVENT_KIND_COLOURS.get(g[0][0], {})
            else 99,
        ),
    )
    for (event, kind), unsorted in groups:
        name = kind_names.get(f"{event}:{kind}", f"{event}: {kind}")
        symbol = palette.EVENT_SYMBOLS.get(event, "circle")
        group = unsorted.sort_values("dated", ascending=False, kind="stable")  # the legend shows the first marker
        dated = group["dated"].astype(bool)
        custom = [
            [html.escape(str(v)) for v in values]
            for values in zip(
                group["title"].astype(str).str.slice(0, 160),
                group["who"].astype(str),
                group["whom"].astype(str),
                [name] * len(group),
                group["link"].fillna("").astype(str).str.slice(0, 120),
                ["" if d else f" ({UNDATED_EVENT})" for d in dated],
                strict=True,
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=name,
                legendgroup=event,
                marker={
                    "color": event_colour(event, kind),
                    "size": 10,
                    "symbol": [symbol if d else f"{symbol}-open" for d in dated],
                    "line": {"color": palette.DARK_GREY, "width": 0.5},
                    "opacity": 0.85,
                },
                customdata=custom,
                hovertemplate="<b>%{customdata[0]}</b><br>%{x|%d %b %Y}%{customdata[5]}<br>%{customdata[3]}"
                "<br>By: %{customdata[1]}<br>Against: %{customdata[2]}<br>%{customdata[4]}<extra></extra>",
            )
        )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=order,
        autorange="reversed",
        title_text="",
        showgrid=True,
        gridcolor=palette.GRID,
        tickfont={"size": FONT_SIZE},
    )
    fig.update_xaxes(title_text="", gridcolor=palette.GRID)
    fig.update_layout(
        legend={"title": {"text": ""}, "orientation": "h", "y": -0.08, "yanchor": "top", "x": 0},
        hovermode="closest",
    )
    return base_layout(fig, title, height=max(320, ROW_PX * len(order) + CHROME_PX))
