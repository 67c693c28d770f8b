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
BOTTOM_PX = 46  # pixels below the panels (the colour bar)
MAX_PANEL_PX = 460  # the tallest a panel may be
WIDE_ASPECT = 1.6  # a single panel wider than this (width / height) gets its list under it, not beside it
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


def _hover(part: pd.DataFrame, named: bool) -> dict[str, Any]:
    """Hover settings: the name and count for countries with incidents; none for members without (a partner's
    export must not name a country whose incidents are hidden from them, even with 0)."""
    if named:
        return {"text": part["hover"].tolist(), "hovertemplate": "%{text}<extra></extra>"}
    return {"hoverinfo": "skip"}


def _panel_traces(data: pd.DataFrame, top: pd.DataFrame, geo: str, value_col: str, title: str) -> list[Any]:
    """The choropleths (members with and without incidents), the small-state markers and the name labels."""
    data = data.assign(
        hover=[f"<b>{n}</b><br>{title}: {maps._format(v)}" for n, v in zip(data["name"], data[value_col], strict=True)]
    )
    shaped, small, _lost = maps._split_shaped(data)
    traces: list[Any] = []
    for named in (True, False):
        part = shaped[(shaped[value_col] > 0) == named]
        if not part.empty:
            traces.append(
                go.Choropleth(
                    locations=part["iso3"].tolist(),
                    locationmode="ISO-3",
                    z=part[value_col].tolist(),
                    coloraxis="coloraxis",
                    marker={"line": {"color": "white", "width": 0.6}},
                    name=title if named else f"{title}: none",
                    geo=geo,
                    **_hover(part, named),
                )
            )
        dots = small[(small[value_col] > 0) == named]
        if not dots.empty:
            traces.append(
                go.Scattergeo(
                    lat=dots["lat"].astype(float).tolist(),
                    lon=dots["lon"].astype(float).tolist(),
                    mode="markers",
                    marker={
                        "size": 9,
                        "color": dots[value_col].tolist(),
                        "coloraxis": "coloraxis",
                        "line": {"color": palette.DARK_GREY, "width": 1},
                    },
                    showlegend=False,
                    name="Small states",
                    geo=geo,
                    **_hover(dots, named),
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
                textfont={"size": FONT_SIZE + 1, "color": palette.TEXT, "weight": "bold", "shadow": "auto"},
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
            "font": {"size": FONT_SIZE, "color": palette.TEXT},
            "height": ROW_PX + 2,
        },
        cells={
            "values": [top["rank"].tolist() if not top.empty else [""], names, values or [""]],
            "align": ["left", "left", "right"],
            "fill": {"color": "#FFFFFF"},
            "line": {"color": palette.GRID, "width": 1},
            "font": {"size": FONT_SIZE, "color": palette.TEXT},
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
    top: how many countries each panel names (the briefing's TOP_N). One track of a compact region: the list stands
    beside the panel; a wide region (Indo-Pacific) or two tracks: each list stands under its panel. The panels'
    widths and the figure's height follow the regions' shapes, laid out for WIDTH pixels.
    """
    panels = []
    for track in tracks:
        members = members_of(countries, track)
        view = maps.view_around(members["lat"].tolist(), members["lon"].tolist()) if not members.empty else None
        if view is not None:
            panels.append((track, members, view))
    if not panels:
        return empty_figure(title, "No member countries to map")
    aspects = [view_aspect(v) for _, _, v in panels]
    beside = len(panels) == 1 and aspects[0] < WIDE_ASPECT
    usable = (1 - LIST_SHARE if beside else 1.0) - GAP * (len(panels) - 1)
    shares = [usable * a / sum(aspects) for a in aspects]  # each panel's share of the width follows its shape
    panel_px = min(MAX_PANEL_PX, max(WIDTH * s / a for s, a in zip(shares, aspects, strict=True)))
    table_px = ROW_PX * (top + 1) + 24
    list_px = 0 if beside else table_px
    bottom_px = BOTTOM_PX if len(panels) > 1 else 8  # two panels: the colour bar and note stand under the lists
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
        _text(fig, f"<b>{track_names.get(track, track)}</b>", left, 1, size=FONT_SIZE + 1)
        if beside:
            list_x = [1 - LIST_SHARE + GAP, 1.0]
            list_y = [map_top - 0.02 - table_px / height, map_top - 0.02]
        else:
            list_x = [left, left + (share if len(panels) > 1 else 0.5)]
            list_y = [bottom_px / height, map_bottom - 6 / height]
        fig.add_trace(_list_table(best, value_col, title, {"x": list_x, "y": list_y}))
        left += share + GAP
    fig.update_layout(views)  # every panel exists before the shared look is applied to all of them
    maps.style_geo(fig)
    fig.update_layout(views)  # then each panel's own frame again (style_geo fits to shapes)
    if len(panels) > 1:  # under the lists: the colour bar on the left, the note on the right
        bar_x, bar_y, bar_len, note_x, note_y = 0.0, 0.0, 0.4, 0.42, 0.0
        anchor = "bottom"
    else:  # beside the list under a wide panel, or under the list beside a compact one
        bar_x = list_x[1] + 0.06 if not beside else list_x[0]
        bar_y = list_y[1] - 0.03 if not beside else list_y[0] - 0.06
        bar_len = 1 - bar_x - 0.02
        note_x, note_y = bar_x, bar_y - 64 / height
        anchor = "top"
    fig.update_layout(
        coloraxis={
            "colorscale": palette.SEQUENTIAL,
            "cmin": 0,
            "cmax": zmax,
            "colorbar": {
                "title": {"text": title, "side": "right"},
                "orientation": "h",
                "thickness": 10,
                "len": bar_len,
                "x": bar_x,
                "xanchor": "left",
                "y": bar_y,
                "yanchor": anchor,
                **count_ticks(zmax),
            },
        }
    )
    note = KEY_NOTE if len(panels) == 1 else KEY_NOTE.replace("<br>", " ")
    _text(fig, note, note_x, note_y, size=FONT_SIZE - 2, colour=palette.DARK_GREY, anchor=anchor)
    base_layout(fig, "", height=height)
    fig.update_layout(margin={"l": 4, "r": 4, "t": 4, "b": 4})
    return fig


def _text(
    fig: go.Figure, text: str, x: float, y: float, *, size: int, colour: str = palette.TEXT, anchor: str = "top"
) -> None:
    """A left-aligned annotation at paper coordinates (panel titles, the note on what is coloured)."""
    fig.add_annotation(
        text=text,
        x=x,
        y=y,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor=anchor,
        align="left",
        showarrow=False,
        font={"size": size, "color": colour},
    )


def _geo_view(view: Mapping[str, Any]) -> dict[str, Any]:
    """`view_around`'s settings as a layout.geo dict (its keys use the underscore shorthand of update_geos)."""
    return {
        "fitbounds": False,
        "projection": {"rotation": {"lon": view["projection_rotation_lon"]}},
        "center": view["center"],
        "lonaxis": {"range": view["lonaxis_range"]},
        "lataxis": {"range": view["lataxis_range"]},
    }
