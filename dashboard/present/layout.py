"""The shared look of every figure (template, fonts, margins, empty state) and small helpers the builders share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.present import palette

FONT_FAMILY = '"Source Sans Pro", "Source Sans", Arial, Helvetica, sans-serif'
FONT_SIZE = 13
EMPTY_MESSAGE = "No data for this selection"
ROW_HEIGHT = 26  # pixels per bar or heatmap row in horizontal charts
WHOLE_TICKS_UP_TO = 10  # count axes spanning at most this many get a tick at every whole number


def base_layout(fig: go.Figure, title: str = "", *, height: int | None = None) -> go.Figure:
    """Apply the shared look (white template, readable fonts, tight margins) to a figure and return it."""
    _white_template(fig)
    fig.update_layout(
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.995,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 8},
            "font": {"size": FONT_SIZE + 4},
        }
        if title
        else None,
        font={"family": FONT_FAMILY, "size": FONT_SIZE, "color": palette.TEXT},
        margin={"l": 10, "r": 10, "t": 56 if title else 24, "b": 10},
        hoverlabel={"font": {"size": FONT_SIZE, "family": FONT_FAMILY}},
        legend={"font": {"size": FONT_SIZE - 1}},
    )
    if height:
        fig.update_layout(height=height)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _white_template(fig: go.Figure) -> None:
    """Set plotly's registered 'plotly_white' template as plotly sets its default one: without validating it again.

    Same figure as update_layout(template="plotly_white"), which deep-copies and re-validates the whole template
    (tens of milliseconds a figure); the registered template is already valid and the figure keeps its own copy.
    """
    layout = fig.layout
    validate = layout._validate
    layout._validate = False
    try:
        layout.template = pio.templates["plotly_white"]
    finally:
        layout._validate = validate


def empty_figure(title: str = "", message: str = EMPTY_MESSAGE, *, height: int = 320) -> go.Figure:
    """A figure with no traces and a centred message, for selections without data."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": FONT_SIZE + 3, "color": palette.DARK_GREY},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, title, height=height)


def is_empty(frame: pd.DataFrame | None) -> bool:
    """True for None, a frame without rows, or a frame without columns."""
    return frame is None or frame.empty


def label_of(labels: Mapping[Any, str] | None, key: Any) -> str:
    """The display label of a key, or the key itself as text."""
    if labels and key in labels:
        return str(labels[key])
    return str(key)


def ints_if_integral(values: pd.Series) -> list[Any]:
    """Plain Python numbers, ints where the values are whole (keeps the figure JSON short)."""
    clean = pd.to_numeric(values, errors="coerce").fillna(0)
    if (clean % 1 == 0).all():
        return clean.astype("int64").tolist()
    return clean.round(3).tolist()


def order_categories(totals: pd.Series) -> list[Any]:
    """Categories by total, largest first; 'other' always last."""
    order = totals.sort_values(ascending=False, kind="stable").index.tolist()
    if "other" in order:
        order.remove("other")
        order.append("other")
    return order


def count_ticks(high: float, low: float = 0.0) -> dict[str, Any]:
    """Tick settings of an axis or colour bar that shows counts: whole numbers only, never a 0.5 or 1.5 tick.

    Up to a range of WHOLE_TICKS_UP_TO a tick at every whole number (dtick 1); beyond it plotly's own steps, which
    are then whole (it draws at most about ten ticks), written as integers.
    """
    ticks: dict[str, Any] = {"tickformat": ",d"}
    if high - low <= WHOLE_TICKS_UP_TO:
        ticks.update(tick0=0, dtick=1)
    return ticks


def is_whole(values: Sequence[Any]) -> bool:
    """True when every value is a whole number (a count, or a change of counts)."""
    return all(float(v) % 1 == 0 for v in values)


def horizontal_bar_layout(fig: go.Figure, x_title: str, values: Sequence[float]) -> None:
    """Axes and spacing of a horizontal bar chart whose value labels sit outside the bars (whole ticks for counts)."""
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="", ticksuffix="  ")
    # Room for the value labels outside the bars, which autorange and automargin do not count.
    low, high = min(0, *values), max(0, *values)
    pad = 0.12 * ((high - low) or 1)
    fig.update_xaxes(title_text=x_title, gridcolor=palette.GRID, range=[low - pad if low < 0 else 0, high + pad])
    if is_whole(values):
        fig.update_xaxes(**count_ticks(high, low))
    fig.update_layout(bargap=0.25, showlegend=False, uniformtext={"minsize": FONT_SIZE - 1, "mode": "show"})
