"""The briefing's incident map: one panel per track, each framed on its own region, the most affected named.

A world map of both tracks shrinks one of them to an unlabelled corner, so the briefing draws one geo panel per
track instead, each framed on the capitals of that track's member countries (`maps.view_around`) and sized to the
region's shape, on one shared colour scale. The `top` most affected member countries of each track are named on the
map (by their display names, never codes) and listed beside the panel (one track) or under it (two tracks) with their
counts. Only member countries are coloured: members without incidents as 0, other countries as plain land.
Works offline like every map (`maps.PLOTLY_CONFIG`, `maps.configure_static_export`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.present import maps, palette
from dashboard.present.layout import FONT_SIZE, base_layout, count_ticks, empty_figure, is_empty

WIDTH = 900  # pixels the figure is laid out for (the PDF renders it at this width)
LIST_SHARE = 0.3  # share of the width the ranked list takes beside a single panel
GAP = 0.03  # share of the width between side-by-side panels
ROW_PX = 22  # pixels per row of a ranked list
TOP_PX = 30  # pixels above the panels (the panel titles)
BOTTOM_PX = 38  # pixels below the panels (the colour bar)
MAX_PANEL_PX = 420  # the tallest a panel may be
KEY_NOTE = "Coloured: the track's member countries (0: none).<br>Circles: states too small for the map."


def _natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """Plotly's (d3's) natural earth projection of a point, in radians (lon relative to the centre)."""
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


def view_aspect(view: Mapping[str, Any]) -> float:
    """Width / height of a `view_around` frame once projected (natural earth), so a panel can take its shape."""
    west, east = view["lonaxis_range"]
    south, north = view["lataxis_range"]
    half = (east - west) / 2
    lats = [south + (north - south) * i / 20 for i in range(21)]
    xs = [_natural_earth(half, lat)[0] for lat in lats]
    ys = [_natural_earth(0, lat)[1] for lat in (south, north)]
    return (2 * max(xs)) / max(ys[1] - ys[0], 1e-6)


def members_of(countries: pd.DataFrame, track: str) -> pd.DataFrame:
    """The member countries of one track (countries: `read.track_countries`, whose `tracks` column joins ids)."""
    if is_empty(countries) or "tracks" not in countries:
        return countries.iloc[0:0] if countries is not None else pd.DataFrame()
    in_track = countries["tracks"].fillna("").astype(str).map(lambda v: track in {t.strip() for t in v.split(";")})
    return countries[in_track]


def ranked(by_country: pd.DataFrame, members: pd.DataFrame, value_col: str, top: int) -> pd.DataFrame:
    """The `top` member countries with the most incidents (ties by name): rank, iso3, name, value, lat, lon."""
    data = _member_values(by_country, members, value_col)
    data = data[data[value_col] > 0].sort_values([value_col, "name"], ascending=[False, True], kind="stable")
    data = data.head(top).reset_index(drop=True)
    data.insert(0, "rank", range(1, len(data) + 1))
    return data


def _member_values(by_country: pd.DataFrame, members: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """Every member with its value (0 when it has no incidents) and the reference name and coordinates."""
    table = maps._country_table(members)
    values = pd.Series(dtype=float)
    if not is_empty(by_country) and value_col in by_country:
        values = pd.to_numeric(by_country.set_index(by_country["iso3"].astype(str))[value_col], errors="coerce")
        values = values[~values.index.duplicated()]
    table = table.copy()
    table[value_col] = table["iso3"].map(values).fillna(0)
    table["name"] = table["name"].fillna(table["iso3"]).astype(str)
    return table.reset_index(drop=True)


def _label_positions(top: pd.DataFrame) -> list[str]:
    """Where each label sits beside its capital: right, unless a neighbour of higher rank is close to the right."""
    positions: list[str] = []
    placed: list[tuple[float, float, str]] = []
    for row in top.itertuples(index=False):
        lat, lon = float(row.lat), float(row.lon)
        choice = "middle right"
        for option in ("middle right", "middle left", "top center", "bottom center"):
            clash = False
            for plat, plon, ppos in placed:
                near = abs(plat - lat) < 2.2 and abs(plon - lon) < 9
                same_side = option == ppos or (option.startswith("middle") and ppos.startswith("middle"))
                if near and same_side:
                    clash = True
            if not clash:
                choice = option
                break
        placed.append((lat, lon, choice))
        positions.append(choice)
    return positions


def _panel_traces(data: pd.DataFrame, top: pd.DataFrame, geo: str, value_col: str, title: str) -> list[Any]:
    """The choropleth, the small-state markers and the name labels of one panel."""
    data = data.assign(
        hover=[f"<b>{n}</b><br>{title}: {maps._format(v)}" for n, v in zip(data["name"], data[value_col], strict=True)]
    )
    shaped, small, _lost = maps._split_shaped(data)
    traces: list[Any] = [
        go.Choropleth(
            locations=shaped["iso3"].tolist(),
            locationmode="ISO-3",
            z=shaped[value_col].tolist(),
            text=shaped["hover"].tolist(),
            hovertemplate="%{text}<extra></extra>",
            coloraxis="coloraxis",
            marker={"line": {"color": "white", "width": 0.6}},
            name=title,
            geo=geo,
        )
    ]
    if not small.empty:
        traces.append(
            go.Scattergeo(
                lat=small["lat"].astype(float).tolist(),
                lon=small["lon"].astype(float).tolist(),
                text=small["hover"].tolist(),
                hovertemplate="%{text}<extra></extra>",
                mode="markers",
                marker={
                    "size": 9,
                    "color": small[value_col].tolist(),
                    "coloraxis": "coloraxis",
                    "line": {"color": palette.DARK_GREY, "width": 1},
                },
                showlegend=False,
                name="Small states",
                geo=geo,
            )
        )
    if not top.empty:
        traces.append(
            go.Scattergeo(
                lat=top["lat"].astype(float).tolist(),
                lon=top["lon"].astype(float).tolist(),
                text=[f"{r} {n}" for r, n in zip(top["rank"], top["name"], strict=True)],
                mode="markers+text",
                textposition=_label_positions(top),
                textfont={"size": FONT_SIZE - 1, "color": palette.TEXT, "weight": "bold", "shadow": "auto"},
                marker={"size": 5, "color": palette.TEXT, "line": {"color": "white", "width": 1}},
                hoverinfo="skip",
                showlegend=False,
                name="Most affected",
                geo=geo,
            )
        )
    return traces


def _list_table(top: pd.DataFrame, value_col: str, title: str, domain: dict[str, list[float]]) -> go.Table:
    """The ranked list of one panel: rank, country name, count."""
    values = [maps._format(v) for v in top[value_col]] if not top.empty else []
    names = top["name"].tolist() if not top.empty else ["No incidents"]
    return go.Table(
        domain=domain,
        columnwidth=[0.5, 3.2, 1.3],
        header={
            "values": ["<b>#</b>", "<b>Most affected</b>", f"<b>{title}</b>"],
            "align": ["left", "left", "right"],
            "fill": {"color": "#EEEEEE"},
            "line": {"color": "#FFFFFF", "width": 0},
            "font": {"size": FONT_SIZE - 1, "color": palette.TEXT},
            "height": ROW_PX + 2,
        },
        cells={
            "values": [top["rank"].tolist() if not top.empty else [""], names, values or [""]],
            "align": ["left", "left", "right"],
            "fill": {"color": "#FFFFFF"},
            "line": {"color": palette.GRID, "width": 1},
            "font": {"size": FONT_SIZE - 1, "color": palette.TEXT},
            "height": ROW_PX,
        },
    )


def build_track_maps(
    by_country: pd.DataFrame,
    countries: pd.DataFrame,
    *,
    tracks: Sequence[str],
    track_names: Mapping[str, str],
    top: int,
    value_col: str = "incidents",
    title: str = "Incidents",
) -> go.Figure:
    """One geo panel per track (side by side), framed on the track's member capitals, with its top-N named.

    by_country: iso3, name and `value_col` per target country; countries: `read.track_countries` of these tracks;
    top: how many countries each panel names (the briefing's TOP_N). One track: the list stands beside the panel;
    two tracks: each list stands under its panel. Layout and figure height follow the regions' shapes.
    """
    panels = []
    for track in tracks:
        members = members_of(countries, track)
        view = maps.view_around(members["lat"].tolist(), members["lon"].tolist()) if not members.empty else None
        if view is not None:
            panels.append((track, members, view))
    if not panels:
        return empty_figure(title, "No member countries to map")
    single = len(panels) == 1
    map_share = 1 - LIST_SHARE if single else 1.0
    widths = [view_aspect(v) for _, _, v in panels]  # each panel's share of the width follows its region's shape
    usable = map_share - GAP * (len(panels) - 1)
    shares = [usable * w / sum(widths) for w in widths]
    panel_px = min(MAX_PANEL_PX, max(WIDTH * s / w for s, w in zip(shares, widths, strict=True)))
    list_px = 0 if single else ROW_PX * (top + 1) + 16
    bottom_px = 4 if single else BOTTOM_PX  # one panel: the colour bar stands under the list, beside the map
    height = round(TOP_PX + panel_px + list_px + bottom_px)
    map_bottom = (bottom_px + list_px) / height
    map_top = 1 - TOP_PX / height

    fig = go.Figure()
    zmax = 1.0
    left = 0.0
    views: dict[str, dict[str, Any]] = {}
    for i, ((track, members, view), share) in enumerate(zip(panels, shares, strict=True), 1):
        geo = "geo" if i == 1 else f"geo{i}"
        data = _member_values(by_country, members, value_col)
        zmax = max(zmax, float(data[value_col].max()) if not data.empty else 0.0)
        best = ranked(by_country, members, value_col, top)
        for trace in _panel_traces(data, best, geo, value_col, title):
            fig.add_trace(trace)
        views[geo] = {"domain": {"x": [left, left + share], "y": [map_bottom, map_top]}, **_geo_view(view)}
        fig.add_annotation(
            text=f"<b>{track_names.get(track, track)}</b>",
            x=left,
            y=1,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font={"size": FONT_SIZE + 1, "color": palette.TEXT},
        )
        if single:
            list_top = map_top - 0.02
            list_domain = {"x": [map_share + GAP, 1.0], "y": [list_top - (ROW_PX * (top + 1) + 16) / height, list_top]}
        else:
            list_domain = {"x": [left, left + share], "y": [BOTTOM_PX / height, map_bottom - 6 / height]}
        fig.add_trace(_list_table(best, value_col, title, list_domain))
        left += share + GAP
    fig.update_layout(views)  # every panel exists before the shared look is applied to all of them
    maps.style_geo(fig)
    fig.update_layout(views)  # then each panel's own frame again (style_geo fits to shapes)
    fig.update_layout(
        coloraxis={
            "colorscale": palette.SEQUENTIAL,
            "cmin": 0,
            "cmax": zmax,
            "colorbar": {
                "title": {"text": title, "side": "right"},
                "orientation": "h",
                "thickness": 10,
                "len": LIST_SHARE - GAP if single else 0.4,
                "x": 1 - LIST_SHARE + GAP if single else 0,
                "xanchor": "left",
                "y": list_domain["y"][0] - 0.06 if single else 0,
                "yanchor": "top" if single else "bottom",
                **count_ticks(zmax),
            },
        }
    )
    fig.add_annotation(
        text=KEY_NOTE if single else KEY_NOTE.replace("<br>", " "),
        x=1 - LIST_SHARE + GAP if single else 0.42,
        y=list_domain["y"][0] - 0.2 if single else 0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top" if single else "bottom",
        align="left",
        showarrow=False,
        font={"size": FONT_SIZE - 2, "color": palette.DARK_GREY},
    )
    base_layout(fig, "", height=height)
    fig.update_layout(margin={"l": 4, "r": 4, "t": 4, "b": 4})
    return fig


def _geo_view(view: Mapping[str, Any]) -> dict[str, Any]:
    """`view_around`'s settings as a layout.geo dict (its keys use the underscore shorthand of update_geos)."""
    return {
        "fitbounds": False,
        "projection": {"rotation": {"lon": view["projection_rotation_lon"]}},
        "center": view["center"],
        "lonaxis": {"range": view["lonaxis_range"]},
        "lataxis": {"range": view["lataxis_range"]},
    }
