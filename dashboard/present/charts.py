"""Pure figure builders for the dashboard pages: an aggregated DataFrame in, a plotly Figure out.

No Streamlit here. Inputs arrive already aggregated (tens to a few thousand rows); every builder returns an
annotated empty figure, never an exception, when its frame is empty. Colours come from dashboard.present.palette.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.present import palette

FONT_FAMILY = '"Source Sans Pro", "Source Sans", Arial, Helvetica, sans-serif'
FONT_SIZE = 13
EMPTY_MESSAGE = "No data for this selection"
REST = "__rest__"  # the merged "All others" category
TOTAL = "__total__"  # the single series of an unstacked trend
ROW_HEIGHT = 26  # pixels per bar or heatmap row in horizontal charts
DASHES = ("solid", "dash", "dot", "dashdot")


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


def _label(labels: Mapping[Any, str] | None, key: Any) -> str:
    if labels and key in labels:
        return str(labels[key])
    return str(key)


def _ints_if_integral(values: pd.Series) -> list[Any]:
    """Plain Python numbers, ints where the values are whole (keeps the figure JSON short)."""
    clean = pd.to_numeric(values, errors="coerce").fillna(0)
    if (clean % 1 == 0).all():
        return clean.astype("int64").tolist()
    return clean.round(3).tolist()


def _order_categories(totals: pd.Series) -> list[Any]:
    """Categories by total, largest first; 'other' always last."""
    order = totals.sort_values(ascending=False, kind="stable").index.tolist()
    if "other" in order:
        order.remove("other")
        order.append("other")
    return order


def _month_strings(values: pd.Series) -> pd.Series:
    """'YYYY-MM' strings (or dates) as monthly periods; unreadable values become NaT."""
    parsed = pd.to_datetime(values.astype(str).str[:7], format="%Y-%m", errors="coerce")
    return parsed.dt.to_period("M")


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
    pivot = data.pivot_table(index="month", columns=stack_col, values=value_col, aggfunc="sum", fill_value=0)
    months = pd.period_range(pivot.index.min(), pivot.index.max(), freq="M")
    pivot = pivot.reindex(months, fill_value=0)  # months without incidents are zeros, not gaps
    x = [p.strftime("%Y-%m") for p in pivot.index]
    order = _order_categories(pivot.sum())
    if len(order) > max_categories:
        keep = [k for k in pivot.sum().sort_values(ascending=False, kind="stable").index if k != "other"]
        keep = keep[: max_categories - 1]
        pivot[REST] = pivot.drop(columns=keep).sum(axis=1)
        pivot = pivot[[*keep, REST]]
        order = [*keep, REST]
    colour_map = dict(colours) if colours else palette.distinct_colours(stack_col, [k for k in order if k != REST])
    colour_map[REST] = palette.GREY
    labels = {**(labels or {}), REST: "All others"}

    fig = go.Figure()
    for key in order:
        name = _label(labels, key)
        y = _ints_if_integral(pivot[key])
        hover = f"{name}: %{{y:,}}<extra></extra>"
        colour = colour_map.get(key) or palette.fallback_colour(key)
        if mode == "area":
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    name=name,
                    mode="lines",
                    stackgroup="one",
                    line={"width": 0.5, "color": colour},
                    fillcolor=colour,
                    hovertemplate=hover,
                )
            )
        else:
            fig.add_trace(
                go.Bar(x=x, y=y, name=name, marker={"color": colour, "line": {"width": 0}}, hovertemplate=hover)
            )
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
    pivot = pivot.loc[_order_categories(pivot.sum(axis=1)), _order_categories(pivot.sum(axis=0))]
    z = [_ints_if_integral(row) for _, row in pivot.iterrows()]
    text = [["" if v == 0 else f"{v:,}" for v in row] for row in z]
    value_label = value_label or value.replace("_", " ").capitalize()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[_label(x_labels, k) for k in pivot.columns],
            y=[_label(y_labels, k) for k in pivot.index],
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            colorscale=_zero_white(palette.SEQUENTIAL),
            zmin=0,
            zmax=max(1, max((max(row) for row in z), default=1)),
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": value_label}, "thickness": 14},
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


def _horizontal_bar_layout(fig: go.Figure, x_title: str, values: Sequence[float]) -> None:
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="", ticksuffix="  ")
    # Room for the value labels outside the bars, which autorange and automargin do not count.
    low, high = min(0, *values), max(0, *values)
    pad = 0.12 * ((high - low) or 1)
    fig.update_xaxes(title_text=x_title, gridcolor=palette.GRID, range=[low - pad if low < 0 else 0, high + pad])
    fig.update_layout(bargap=0.25, showlegend=False, uniformtext={"minsize": FONT_SIZE - 1, "mode": "show"})


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
    counts = _ints_if_integral(dyads["incidents"])
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
    _horizontal_bar_layout(fig, "Incidents", counts)
    return base_layout(fig, title, height=max(260, ROW_HEIGHT * len(labels) + 120))


def _name_map(source: pd.DataFrame | Mapping[str, str] | None, key: str, label: str) -> dict[str, str]:
    if source is None:
        return {}
    if isinstance(source, pd.DataFrame):
        if source.empty or key not in source or label not in source:
            return {}
        return dict(zip(source[key].astype(str), source[label].astype(str)))
    return {str(k): str(v) for k, v in source.items()}


def _discrete_colourscale(colours: Sequence[str]) -> list[list[float | str]]:
    n = len(colours)
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def build_norm_matrix(
    frame: pd.DataFrame,
    *,
    items: pd.DataFrame | Mapping[str, str] | None,
    countries: pd.DataFrame | Mapping[str, str] | None,
    title: str = "Implementation status by country and item",
    height: int | None = None,
) -> go.Figure:
    """Country x norm/CBM item matrix coloured by the latest status, with status, date and evidence on hover."""
    if is_empty(frame):
        return empty_figure(title)
    data = frame.copy()
    for col in ("assessed_on", "evidence_url"):
        if col not in data:
            data[col] = None
    data["iso3"] = data["iso3"].astype(str)
    data["item_id"] = data["item_id"].astype(str)
    data["_when"] = pd.to_datetime(data["assessed_on"], errors="coerce")
    data = data.sort_values("_when", kind="stable", na_position="first")
    data = data.drop_duplicates(["iso3", "item_id"], keep="last")  # the latest assessment is the record

    titles = _name_map(items, "id", "title")
    codes = _name_map(items, "id", "code")
    framework = _name_map(items, "id", "framework_id")
    assessed = set(data["item_id"])
    if isinstance(items, pd.DataFrame) and not items.empty and "id" in items:
        ordered = items.sort_values("sort_order", kind="stable") if "sort_order" in items else items
        known = [i for i in ordered["id"].astype(str) if i in assessed]
    else:
        known = [i for i in (items or {}) if i in assessed]
    item_order = known + sorted(assessed - set(known))
    if not isinstance(items, pd.DataFrame) and items:
        titles = {str(k): str(v) for k, v in items.items()}
    x_text = [codes.get(i, i) for i in item_order]
    if len(set(x_text)) < len(x_text):
        x_text = item_order

    names = _name_map(countries, "iso3", "name")
    country_order = sorted(set(data["iso3"]), key=lambda c: names.get(c, c))
    status_index = {s: n for n, s in enumerate(palette.NORM_STATUS_ORDER)}
    row_of = {c: n for n, c in enumerate(country_order)}
    column_of = {i: n for n, i in enumerate(item_order)}

    # One cell per (country, item) after the de-duplication above; cells without an assessment stay empty.
    z: list[list[float | None]] = [[None] * len(item_order) for _ in country_order]
    hover: list[list[str]] = [[""] * len(item_order) for _ in country_order]
    for iso3, item, raw_status, when_at, raw_url in zip(
        data["iso3"], data["item_id"], data["status"], data["_when"], data["evidence_url"], strict=True
    ):
        status = str(raw_status) if pd.notna(raw_status) else "unknown"
        when = when_at.date().isoformat() if pd.notna(when_at) else "no date"
        url = raw_url if isinstance(raw_url, str) and raw_url else "none"
        r, c = row_of[iso3], column_of[item]
        z[r][c] = status_index.get(status, status_index["unknown"])
        hover[r][c] = (
            f"{codes.get(item, item)}: {titles.get(item, item)}"
            f"<br>Status: {palette.NORM_STATUS_LABELS.get(status, status)}<br>Assessed: {when}<br>Evidence: {url}"
        )

    n = len(palette.NORM_STATUS_ORDER)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x_text,
            y=[names.get(c, c) for c in country_order],
            text=hover,
            hovertemplate="<b>%{y}</b><br>%{text}<extra></extra>",
            hoverongaps=False,
            colorscale=_discrete_colourscale([palette.NORM_STATUS_COLOURS[s] for s in palette.NORM_STATUS_ORDER]),
            zmin=-0.5,
            zmax=n - 0.5,
            xgap=2,
            ygap=2,
            colorbar={
                "title": {"text": "Status"},
                "tickvals": list(range(n)),
                "ticktext": [palette.NORM_STATUS_LABELS[s] for s in palette.NORM_STATUS_ORDER],
                "thickness": 14,
                "len": min(1.0, max(0.4, 0.06 * len(country_order))),
                "y": 1,
                "yanchor": "top",
            },
        )
    )
    # Thin separators where the framework changes (UN norms | OSCE CBMs | ARF measures).
    for pos in range(1, len(item_order)):
        if framework.get(item_order[pos]) != framework.get(item_order[pos - 1]):
            fig.add_vline(x=pos - 0.5, line={"color": palette.DARK_GREY, "width": 1.5})
    fig.update_xaxes(side="top", showgrid=False, type="category", tickangle=-45 if max(map(len, x_text)) > 2 else 0)
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(plot_bgcolor="white")
    return base_layout(fig, title, height=height or max(320, 22 * len(country_order) + 150))


def build_trajectory(
    frame: pd.DataFrame,
    *,
    title: str = "Share of items implemented, by round",
    height: int = 420,
) -> go.Figure:
    """Lines of the share of items implemented (0-1) per country across assessment rounds."""
    if is_empty(frame):
        return empty_figure(title)
    data = frame[["country", "round", "share"]].copy()
    data["round"] = data["round"].map(lambda r: r.isoformat() if isinstance(r, dt.date) else str(r))
    rounds = sorted(data["round"].unique())
    last = data.sort_values("round", kind="stable").groupby("country")["share"].last()
    order = last.sort_values(ascending=False, kind="stable").index.tolist()  # legend reads as a ranking
    # Countries have no fixed colours: colour by sorted name, and a dash style per lap of the palette.
    ranked = sorted(str(c) for c in order)
    n = len(palette.CATEGORICAL)
    fig = go.Figure()
    for country in order:
        pos = ranked.index(str(country))
        style = {"color": palette.CATEGORICAL[pos % n], "width": 2, "dash": DASHES[(pos // n) % len(DASHES)]}
        part = data[data["country"] == country].set_index("round").reindex(rounds)
        fig.add_trace(
            go.Scatter(
                x=rounds,
                y=part["share"].round(4).tolist(),
                name=str(country),
                mode="lines+markers",
                connectgaps=True,
                line=style,
                marker={"size": 7},
                hovertemplate=f"{country}<br>%{{x}}: %{{y:.0%}}<extra></extra>",
            )
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=rounds, title_text="Assessment round")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.04], title_text="Items implemented", gridcolor=palette.GRID)
    return base_layout(fig, title, height=height)


def _shorten(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_timeline(
    frame: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    labels: Mapping[Any, str] | None = None,
    title: str = "Projects and partnerships over time",
    limit: int = 60,
) -> go.Figure:
    """Gantt-like bars of projects (name, kind, start_date, end_date, status), the `limit` most recent."""
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
    data = data.sort_values(["start", "name"], kind="stable")
    end = pd.to_datetime(data["end_date"], errors="coerce")
    data["open_ended"] = end.isna()
    data["finish"] = end.fillna(pd.Timestamp(as_of))
    data["finish"] = data[["start", "finish"]].max(axis=1) + pd.Timedelta(days=1)  # visible even if 0 days long
    names = data["name"].astype(str)
    seen: dict[str, int] = {}
    rows = []
    for name in names:  # bars on one y category would overlap: make repeated (shortened) names distinct
        short = _shorten(name)
        seen[short] = seen.get(short, 0) + 1
        rows.append(short if seen[short] == 1 else f"{short} ({seen[short]})")
    data["row"] = rows
    data["full_name"] = names
    data["kind_label"] = [_label(labels, k) for k in data["kind"]]
    data["until"] = [
        "open-ended" if o else e.date().isoformat() for o, e in zip(data["open_ended"], end.reindex(data.index))
    ]
    data["from"] = data["start"].dt.date.astype(str)
    colour_map = {_label(labels, k): c for k, c in palette.colours_for("kind", data["kind"].astype(str)).items()}
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
    fig.update_yaxes(
        autorange="reversed", title_text="", categoryorder="array", categoryarray=data["row"].tolist(), showgrid=False
    )
    fig.update_xaxes(title_text="", gridcolor=palette.GRID)
    fig.update_layout(legend={"title": {"text": ""}, "orientation": "h", "y": -0.04, "yanchor": "top", "x": 0})
    return base_layout(fig, title, height=max(300, 22 * len(data) + 170))


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
    names = ["All others" if k == "__rest__" else _label(labels, k) for k in keys]
    values = _ints_if_integral(counts)
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
    _horizontal_bar_layout(fig, value_label, values)
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
    deltas = _ints_if_integral(data[delta_col])
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
    _horizontal_bar_layout(fig, value_label, deltas)
    fig.update_xaxes(zeroline=True, zerolinecolor=palette.DARK_GREY, zerolinewidth=1.5)
    return base_layout(fig, title, height=max(240, ROW_HEIGHT * len(deltas) + 120))
