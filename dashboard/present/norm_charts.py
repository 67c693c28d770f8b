"""Figures of the norms and CBMs page: the country x item status matrix and the implementation trajectories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.present import palette
from dashboard.present.layout import base_layout, empty_figure, is_empty

DASHES = ("solid", "dash", "dot", "dashdot")


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


def _latest_assessments(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest assessment of each (country, item), with ids as text and the date parsed into `_when`."""
    data = frame.copy()
    for col in ("assessed_on", "evidence_url"):
        if col not in data:
            data[col] = None
    data["iso3"] = data["iso3"].astype(str)
    data["item_id"] = data["item_id"].astype(str)
    data["_when"] = pd.to_datetime(data["assessed_on"], errors="coerce")
    data = data.sort_values("_when", kind="stable", na_position="first")
    return data.drop_duplicates(["iso3", "item_id"], keep="last")  # the latest assessment is the record


def _item_order(items: pd.DataFrame | Mapping[str, str] | None, assessed: set[str]) -> list[str]:
    """The assessed items in the catalogue's order, then those the catalogue does not know, sorted."""
    if isinstance(items, pd.DataFrame) and not items.empty and "id" in items:
        ordered = items.sort_values("sort_order", kind="stable") if "sort_order" in items else items
        known = [i for i in ordered["id"].astype(str) if i in assessed]
    else:
        known = [i for i in (items or {}) if i in assessed]
    return known + sorted(assessed - set(known))


def _status_cells(
    data: pd.DataFrame,
    country_order: list[str],
    item_order: list[str],
    codes: Mapping[str, str],
    titles: Mapping[str, str],
) -> tuple[list[list[float | None]], list[list[str]]]:
    """The status index and hover text of every cell, countries as rows and items as columns."""
    status_index = {s: n for n, s in enumerate(palette.NORM_STATUS_ORDER)}
    row_of = {c: n for n, c in enumerate(country_order)}
    column_of = {i: n for n, i in enumerate(item_order)}
    # One cell per (country, item) after the de-duplication; cells without an assessment stay empty.
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
    return z, hover


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
    data = _latest_assessments(frame)
    titles = _name_map(items, "id", "title")
    codes = _name_map(items, "id", "code")
    framework = _name_map(items, "id", "framework_id")
    item_order = _item_order(items, set(data["item_id"]))
    if not isinstance(items, pd.DataFrame) and items:
        titles = {str(k): str(v) for k, v in items.items()}
    x_text = [codes.get(i, i) for i in item_order]
    if len(set(x_text)) < len(x_text):
        x_text = item_order

    names = _name_map(countries, "iso3", "name")
    country_order = sorted(set(data["iso3"]), key=lambda c: names.get(c, c))
    z, hover = _status_cells(data, country_order, item_order, codes, titles)

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
