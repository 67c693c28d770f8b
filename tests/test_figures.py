"""Figure builders (dashboard.present.charts, dashboard.present.maps) and the palette: no database, no Streamlit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import PROJECT_ROOT
from dashboard.core.vocabulary import load, read_rows
from dashboard.present import charts, maps, palette

AS_OF = dt.date(2026, 10, 31)
TYPE_IDS = [row["id"] for row in read_rows("incident_types.csv")]


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    """The reference countries (iso3, name, lat, lon, has_shape)."""
    return pd.DataFrame(load("countries.csv"))


@pytest.fixture
def restore_topojson_default() -> Iterator[None]:
    """Leave plotly's export defaults as they were."""
    before = pio.defaults.topojson
    yield
    pio.defaults.topojson = before


def coords(countries: pd.DataFrame, iso3: str) -> tuple[float, float]:
    row = countries.set_index("iso3").loc[iso3]
    return float(row["lat"]), float(row["lon"])


def annotations_text(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def monthly_frame(years: int, types: list[str]) -> pd.DataFrame:
    months = pd.period_range("2016-01", periods=12 * years, freq="M").strftime("%Y-%m")
    rows = [(m, t, (i * 7 + j * 3) % 40) for i, m in enumerate(months) for j, t in enumerate(types)]
    return pd.DataFrame(rows, columns=["month", "incident_type", "incidents"])


# --- palette ---------------------------------------------------------------------------------------------------


def test_every_vocabulary_id_has_a_fixed_distinct_colour() -> None:
    assert set(palette.TYPE_COLOURS) == set(TYPE_IDS)
    assert len(set(palette.TYPE_COLOURS.values())) == len(TYPE_IDS)
    kinds = {row["id"] for row in read_rows("partnership_kinds.csv")}
    assert set(palette.PARTNERSHIP_KIND_COLOURS) == kinds
    assert len(set(palette.PARTNERSHIP_KIND_COLOURS.values())) == len(kinds)
    statuses = {row["id"] for row in read_rows("norm_statuses.csv")}
    assert set(palette.NORM_STATUS_COLOURS) == statuses == set(palette.NORM_STATUS_ORDER)
    assert {row["id"] for row in read_rows("partnership_statuses.csv")} == set(palette.PARTNERSHIP_STATUS_COLOURS)


def test_norm_status_colours_are_blue_orange_grey_not_red_green() -> None:
    c = palette.NORM_STATUS_COLOURS
    assert c["implemented"] == palette.BLUE and c["in_progress"] == palette.SKY_BLUE
    assert c["not_started"] == palette.ORANGE
    assert {c["not_applicable"], c["unknown"]} <= {palette.GREY, palette.LIGHT_GREY}
    okabe_ito_and_greys = {*palette.OKABE_ITO, palette.GREY, palette.LIGHT_GREY, palette.DARK_GREY}
    assert set(c.values()) <= okabe_ito_and_greys


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "recent"), (90, "recent"), (91, "year"), (365, "year"), (366, "stale"), (5000, "stale"), (None, "never")],
)
def test_hotline_buckets(days: int | None, bucket: str) -> None:
    assert palette.hotline_bucket(days).id == bucket
    assert palette.hotline_bucket(float("nan")).id == "never"


def test_sector_colours_cycle_the_palette_over_sorted_ids() -> None:
    sectors = sorted(row["id"] for row in read_rows("sectors.csv"))
    colours = palette.sector_colours()
    assert list(colours) == sectors
    assert [colours[s] for s in sectors[:3]] == list(palette.CATEGORICAL[:3])
    assert colours[sectors[len(palette.CATEGORICAL)]] == palette.CATEGORICAL[0]
    assert palette.fallback_colour("brand-new-type") == palette.fallback_colour("brand-new-type")


# --- country map -----------------------------------------------------------------------------------------------


def test_country_map_fills_shapes_and_marks_small_states(countries: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "iso3": ["AUS", "JPN", "SGP", "TON", "XKX"],
            "name": ["Australia", "Japan", "Singapore", "Tonga", "Kosovo"],
            "incidents": [10, 5, 7, 2, 3],
            "significant": [4, 1, 2, 0, 1],
        }
    )
    fig = maps.build_country_map(
        frame,
        "incidents",
        title="Incidents",
        countries=countries,
        hover_cols=["significant"],
        colorbar_title="Incidents",
    )
    assert [t.type for t in fig.data] == ["choropleth", "scattergeo"]
    choropleth, markers = fig.data
    assert choropleth.locationmode == "ISO-3"
    assert dict(zip(choropleth.locations, choropleth.z)) == {"AUS": 10, "JPN": 5}
    # Singapore and Tonga have no shape at 110m; Kosovo has no id in plotly's topology: all three are markers.
    placed = {
        text.split("</b>")[0].removeprefix("<b>"): (lat, lon)
        for text, lat, lon in zip(markers.text, markers.lat, markers.lon)
    }
    assert placed == {
        "Singapore": coords(countries, "SGP"),
        "Tonga": coords(countries, "TON"),
        "Kosovo": coords(countries, "XKX"),
    }
    assert list(markers.marker.color) == [7, 2, 3]
    assert (markers.marker.cmin, markers.marker.cmax) == (choropleth.zmin, choropleth.zmax) == (0, 10)
    assert markers.marker.colorscale == choropleth.colorscale
    assert markers.hovertemplate == choropleth.hovertemplate
    assert "Significant: 2" in markers.text[0] and "Incidents: 7" in markers.text[0]
    assert "Significant: 4" in choropleth.text[0]
    assert fig.layout.geo.projection.type == "natural earth"
    assert fig.layout.geo.showcountries is True


def test_country_map_zoom_modes(countries: pd.DataFrame) -> None:
    frame = pd.DataFrame({"iso3": ["UKR", "RUS"], "name": ["Ukraine", "Russia"], "incidents": [3, 1]})
    shapes = maps.build_country_map(frame, "incidents", countries=countries, zoom="shapes")
    assert shapes.layout.geo.fitbounds == "locations"
    framed = maps.build_country_map(frame, "incidents", countries=countries)
    lo, hi = framed.layout.geo.lonaxis.range
    assert lo < coords(countries, "UKR")[1] < hi and lo < coords(countries, "RUS")[1] < hi
    assert hi - lo < 90  # framed on the capitals, not on all of Russia


def test_view_crosses_the_antimeridian_when_that_is_shorter() -> None:
    view = maps.view_around([-21.1, -8.5, 1.3], [-175.2, 179.1, 173.0])  # Tonga, Tuvalu, Kiribati
    lo, hi = view["lonaxis_range"]
    assert hi - lo < 60
    assert lo < 173.0 and hi > 184.8


def test_country_map_names_come_from_the_reference_when_missing(countries: pd.DataFrame) -> None:
    fig = maps.build_country_map(pd.DataFrame({"iso3": ["FRA"], "incidents": [2]}), "incidents", countries=countries)
    assert fig.data[0].text[0].startswith("<b>France</b>")


# --- hotline map -----------------------------------------------------------------------------------------------


def hotlines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Recent", "Within a year", "Stale", "Never", "Also recent"],
            "iso3_a": ["RUS", "RUS", "ARM", "BLR", "MDA"],
            "iso3_b": ["UKR", "EST", "AZE", "POL", "ROU"],
            "status": ["suspended", "active", "active", "active", "active"],
            "last_tested": [
                AS_OF - dt.timedelta(days=10),
                AS_OF - dt.timedelta(days=200),
                dt.date(2023, 1, 1),
                None,
                AS_OF,
            ],
        }
    )


def test_hotline_lines_are_grouped_and_coloured_by_bucket(countries: pd.DataFrame) -> None:
    fig = maps.build_hotline_map(hotlines(), countries, as_of=AS_OF)
    lines = {t.legendgroup: t for t in fig.data if t.type == "scattergeo" and t.mode == "lines"}
    assert set(lines) == {"recent", "year", "stale", "never"}
    for bucket in palette.HOTLINE_BUCKETS:
        assert lines[bucket.id].line.color == bucket.colour
    assert lines["never"].line.dash == "dot"
    recent = lines["recent"]
    assert list(recent.lat) == [
        coords(countries, "RUS")[0],
        coords(countries, "UKR")[0],
        None,
        coords(countries, "MDA")[0],
        coords(countries, "ROU")[0],
        None,
    ]
    assert list(recent.lon) == [
        coords(countries, "RUS")[1],
        coords(countries, "UKR")[1],
        None,
        coords(countries, "MDA")[1],
        coords(countries, "ROU")[1],
        None,
    ]
    assert list(lines["stale"].lon)[:2] == [coords(countries, "ARM")[1], coords(countries, "AZE")[1]]
    assert recent.name == "Tested in the last 90 days (2)"
    assert "Status: suspended" in recent.text[0] and "10 days ago" in recent.text[0]
    assert "never tested" in lines["never"].text[0].lower()
    # 4 buckets x (lines + mid-arc hover markers) + the capitals: few traces whatever the number of hotlines.
    assert len(fig.data) == 9
    capitals = fig.data[-1]
    assert len(capitals.lat) == 9 and capitals.showlegend is not False


def test_hotline_map_overlays_partnership_counts(countries: pd.DataFrame) -> None:
    counts = pd.DataFrame(
        {"iso3": ["RUS", "UKR", "SGP"], "name": ["Russia", "Ukraine", "Singapore"], "partnerships": [4, 9, 2]}
    )
    fig = maps.build_hotline_map(hotlines(), countries, as_of=AS_OF, country_counts=counts)
    assert fig.data[0].type == "choropleth"
    assert dict(zip(fig.data[0].locations, fig.data[0].z)) == {"RUS": 4, "UKR": 9}  # no shape for Singapore
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 9)


def test_hotline_with_unknown_capital_is_reported_not_raised(countries: pd.DataFrame) -> None:
    frame = hotlines()
    frame.loc[0, "iso3_b"] = "ZZZ"
    fig = maps.build_hotline_map(frame, countries, as_of=AS_OF)
    assert "1 hotline(s) not drawn" in annotations_text(fig)


# --- charts ----------------------------------------------------------------------------------------------------


def test_trend_of_ten_years_and_nine_types_stays_small() -> None:
    fig = charts.build_trend_figure(monthly_frame(10, TYPE_IDS), stack_col="incident_type", title="Trend")
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 9 and len(fig.data) == 10
    assert sum(len(t.x) for t in fig.data) == 120 * 10
    assert len(fig.to_json().encode()) < 100_000
    assert fig.layout.barmode == "stack"


def test_trend_values_fill_gaps_and_roll_the_total() -> None:
    monthly = pd.DataFrame(
        {
            "month": ["2024-01", "2024-01", "2024-03", "2024-04"],
            "incident_type": ["ransomware", "espionage", "ransomware", "espionage"],
            "incidents": [2, 1, 6, 9],
        }
    )
    labels = {"ransomware": "Ransomware", "espionage": "Espionage / data theft"}
    fig = charts.build_trend_figure(monthly, stack_col="incident_type", rolling=3, labels=labels)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars["Ransomware"].x) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert list(bars["Ransomware"].y) == [2, 0, 6, 0]
    assert list(bars["Espionage / data theft"].y) == [1, 0, 0, 9]
    line = fig.data[-1]
    assert line.type == "scatter" and list(line.y) == [3.0, 1.5, 3.0, 5.0]
    assert bars["Ransomware"].marker.color == palette.TYPE_COLOURS["ransomware"]


def test_trend_without_a_stack_column_is_one_series() -> None:
    monthly = pd.DataFrame({"month": ["2024-01", "2024-03", None], "incidents": [3, 6, 1]})
    fig = charts.build_trend_figure(monthly, stack_col=None, rolling=2)
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert list(fig.data[0].y) == [3, 0, 6] and fig.data[0].marker.color == palette.PRIMARY
    assert list(fig.data[1].y) == [3.0, 1.5, 3.0]


def test_trend_merges_small_categories_beyond_the_limit() -> None:
    sectors = sorted(row["id"] for row in read_rows("sectors.csv"))
    monthly = pd.DataFrame(
        [("2025-01", s, n + 1) for n, s in enumerate(sectors)], columns=["month", "sector", "incidents"]
    )
    fig = charts.build_trend_figure(monthly, stack_col="sector", mode="area", max_categories=5)
    areas = [t for t in fig.data if t.stackgroup]
    assert len(areas) == 5
    assert areas[-1].name == "All others" and list(areas[-1].y) == [sum(range(1, len(sectors) - 3))]
    shown = [t.line.color for t in areas[:-1]]
    assert len(set(shown)) == len(shown)  # no two shown sectors share a colour


def test_same_type_same_colour_in_different_figures() -> None:
    trend = charts.build_trend_figure(monthly_frame(1, TYPE_IDS), stack_col="incident_type", labels=None)
    trend_colours = {t.name: t.marker.color for t in trend.data if t.type == "bar"}
    counts = pd.DataFrame({"incident_type": TYPE_IDS, "incidents": range(1, 10)})
    bar = charts.build_count_bar(counts, "incident_type", "incidents")
    bar_colours = dict(zip(bar.data[0].y, bar.data[0].marker.color))
    assert trend_colours == bar_colours == palette.TYPE_COLOURS


def test_same_kind_same_colour_in_timeline_and_count_bar() -> None:
    kinds = ["ppp", "hotline", "mou"]
    frame = pd.DataFrame(
        {
            "name": ["A", "B", "C"],
            "kind": kinds,
            "start_date": [dt.date(2024, 1, 1)] * 3,
            "end_date": [dt.date(2025, 1, 1)] * 3,
            "status": ["active"] * 3,
        }
    )
    timeline = charts.build_timeline(frame, as_of=AS_OF)
    bar = charts.build_count_bar(frame.assign(n=1), "kind", "n")
    assert {t.name: t.marker.color for t in timeline.data} == dict(zip(bar.data[0].y, bar.data[0].marker.color))
    assert {t.name: t.marker.color for t in timeline.data} == {k: palette.PARTNERSHIP_KIND_COLOURS[k] for k in kinds}


def test_heatmap_carries_counts_and_labels() -> None:
    frame = pd.DataFrame(
        {
            "sector": ["energy", "energy", "health", "health"],
            "incident_type": ["disruption", "ransomware", "ransomware", "ransomware"],
            "incidents": [3, 1, 5, 2],
        }
    )
    fig = charts.build_heatmap(
        frame,
        "incident_type",
        "sector",
        "incidents",
        x_labels={"ransomware": "Ransomware"},
        y_labels={"health": "Health"},
    )
    heat = fig.data[0]
    assert list(heat.x) == ["Ransomware", "disruption"]
    assert list(heat.y) == ["Health", "energy"]
    assert [list(r) for r in heat.z] == [[7, 0], [1, 3]]
    assert [list(r) for r in heat.text] == [["7", ""], ["1", "3"]]


def test_dyad_bar_sums_sorts_and_caps() -> None:
    frame = pd.DataFrame(
        {
            "initiator": ["Russia", "Russia", "China", "North Korea", "Belarus"],
            "target": ["Ukraine", "Ukraine", "Japan", "Japan", "Poland"],
            "incidents": [5, 4, 7, 1, 2],
        }
    )
    fig = charts.build_dyad_bar(frame, top=3)
    bar = fig.data[0]
    assert list(bar.y) == ["Russia → Ukraine", "China → Japan", "Belarus → Poland"]
    assert list(bar.x) == [9, 7, 2]
    assert bar.orientation == "h"


def test_norm_matrix_uses_the_latest_status_and_shows_evidence() -> None:
    items = pd.DataFrame(load("framework_items.csv"))
    frame = pd.DataFrame(
        {
            "iso3": ["EST", "EST", "EST", "LVA"],
            "item_id": ["un-norms:a", "un-norms:a", "osce-cbms:8", "un-norms:a"],
            "status": ["not_started", "implemented", "in_progress", "unknown"],
            "assessed_on": [dt.date(2023, 6, 30), dt.date(2025, 6, 30), dt.date(2025, 6, 30), dt.date(2025, 6, 30)],
            "evidence_url": ["https://example.org/old", "https://example.org/new", "", None],
        }
    )
    countries = pd.DataFrame({"iso3": ["EST", "LVA"], "name": ["Estonia", "Latvia"]})
    fig = charts.build_norm_matrix(frame, items=items, countries=countries)
    heat = fig.data[0]
    assert list(heat.x) == ["a", "8"] and list(heat.y) == ["Estonia", "Latvia"]
    order = list(palette.NORM_STATUS_ORDER)
    assert [list(r) for r in heat.z] == [
        [order.index("implemented"), order.index("in_progress")],
        [order.index("unknown"), None],
    ]
    assert "Status: Implemented" in heat.text[0][0]
    assert "2025-06-30" in heat.text[0][0] and "https://example.org/new" in heat.text[0][0]
    assert list(heat.colorbar.ticktext) == [palette.NORM_STATUS_LABELS[s] for s in order]
    # The stepped colour scale puts each status code on its own colour.
    n = len(order)
    for code, status in enumerate(order):
        position = (code - heat.zmin) / (heat.zmax - heat.zmin)
        band = [c for p, c in heat.colorscale if abs(p - int(position * n) / n) < 1e-9]
        assert palette.NORM_STATUS_COLOURS[status] in band
    assert fig.layout.shapes, "a separator between the UN norms and the OSCE CBMs"


def test_trajectory_has_a_line_per_country() -> None:
    frame = pd.DataFrame(
        {
            "country": ["Estonia", "Estonia", "Latvia", "Latvia"],
            "round": ["2024 round", "2025 round", "2024 round", "2025 round"],
            "share": [0.5, 0.75, 0.25, 0.2],
        }
    )
    fig = charts.build_trajectory(frame)
    assert [t.name for t in fig.data] == ["Estonia", "Latvia"]
    assert list(fig.data[0].y) == [0.5, 0.75]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_timeline_keeps_the_60_most_recent_and_closes_open_ends() -> None:
    start = dt.date(2020, 1, 1)
    frame = pd.DataFrame(
        {
            "name": [f"Project {i}" for i in range(80)],
            "kind": ["capacity-building"] * 80,
            "start_date": [start + dt.timedelta(days=10 * i) for i in range(80)],
            "end_date": [None] * 80,
            "status": ["active"] * 80,
        }
    )
    fig = charts.build_timeline(frame, as_of=AS_OF)
    shown = [y for t in fig.data for y in t.y]
    assert len(shown) == 60 and "Project 79" in shown and "Project 19" not in shown
    assert "open-ended" in json.dumps(fig.data[0].customdata.tolist())


def test_count_bar_orders_and_merges_the_tail() -> None:
    frame = pd.DataFrame({"focus": list("abcde"), "partnerships": [1, 5, 3, 2, 4]})
    fig = charts.build_count_bar(frame, "focus", "partnerships", top=3)
    assert list(fig.data[0].y) == ["b", "e", "All others"]
    assert list(fig.data[0].x) == [5, 4, 6]


def test_movers_diverge_with_meaningful_colours() -> None:
    frame = pd.DataFrame({"country": ["A", "B", "C"], "delta": [4, -2, 0]})
    worse = charts.build_movers_bar(frame, "country", "delta", "Change")
    assert list(worse.data[0].y) == ["A", "B"]
    assert list(worse.data[0].marker.color) == [palette.BAD, palette.GOOD]
    better = charts.build_movers_bar(frame, "country", "delta", "Change", increase_is_good=True)
    assert list(better.data[0].marker.color) == [palette.GOOD, palette.BAD]
    still = charts.build_movers_bar(frame.assign(delta=0), "country", "delta", "Change")
    assert not still.data and "No change" in annotations_text(still)


# --- empty input and shared properties -------------------------------------------------------------------------


EMPTY_BUILDERS: dict[str, Callable[[pd.DataFrame, pd.DataFrame], go.Figure]] = {
    "trend": lambda f, c: charts.build_trend_figure(f, stack_col="incident_type", title="t"),
    "heatmap": lambda f, c: charts.build_heatmap(f, "incident_type", "sector", "incidents", title="t"),
    "dyads": lambda f, c: charts.build_dyad_bar(f),
    "norm_matrix": lambda f, c: charts.build_norm_matrix(f, items=None, countries=None),
    "trajectory": lambda f, c: charts.build_trajectory(f),
    "timeline": lambda f, c: charts.build_timeline(f, as_of=AS_OF),
    "count_bar": lambda f, c: charts.build_count_bar(f, "kind", "partnerships"),
    "movers": lambda f, c: charts.build_movers_bar(f, "country", "delta", "Movers"),
    "country_map": lambda f, c: maps.build_country_map(f, "incidents", countries=c),
    "hotline_map": lambda f, c: maps.build_hotline_map(f, c, as_of=AS_OF),
}


@pytest.mark.parametrize("frame", [pd.DataFrame(), None], ids=["no-columns", "none"])
@pytest.mark.parametrize("name", list(EMPTY_BUILDERS))
def test_empty_input_gives_an_annotated_figure(name: str, frame: pd.DataFrame | None, countries: pd.DataFrame) -> None:
    fig = EMPTY_BUILDERS[name](frame, countries)
    assert isinstance(fig, go.Figure) and not fig.data
    assert "No data" in annotations_text(fig) or "No hotlines" in annotations_text(fig)


def test_empty_frame_with_columns_is_also_fine(countries: pd.DataFrame) -> None:
    frame = pd.DataFrame(columns=["iso3", "name", "incidents"])
    assert "No data" in annotations_text(maps.build_country_map(frame, "incidents", countries=countries))
    monthly = pd.DataFrame(columns=["month", "incident_type", "incidents"])
    assert "No data" in annotations_text(charts.build_trend_figure(monthly, stack_col="incident_type"))


def all_figures(countries: pd.DataFrame) -> dict[str, go.Figure]:
    counts = pd.DataFrame({"iso3": ["RUS", "UKR"], "incidents": [1, 2]})
    return {
        "trend": charts.build_trend_figure(monthly_frame(1, TYPE_IDS), stack_col="incident_type", title="Trend"),
        "country_map": maps.build_country_map(counts, "incidents", countries=countries, title="Map"),
        "hotline_map": maps.build_hotline_map(hotlines(), countries, as_of=AS_OF),
        "empty": charts.empty_figure("Nothing"),
        "movers": charts.build_movers_bar(pd.DataFrame({"c": ["A"], "d": [1]}), "c", "d", "Movers"),
    }


def test_no_figure_points_at_a_cdn(countries: pd.DataFrame) -> None:
    for name, fig in all_figures(countries).items():
        assert "cdn.plot.ly" not in fig.to_json(), name


def test_shared_layout_is_readable_and_white(countries: pd.DataFrame) -> None:
    for name, fig in all_figures(countries).items():
        assert fig.layout.font.size >= 12, name
        assert fig.layout.template.layout.plot_bgcolor == "white", name


# --- offline topology ------------------------------------------------------------------------------------------


def test_vendored_topojson_is_plotlys_world_topology() -> None:
    path = PROJECT_ROOT / "static" / "topojson" / "world_110m.json"
    assert path == maps.TOPOJSON_FILE and path.is_file()
    topology = json.loads(path.read_text(encoding="utf-8"))
    assert topology["type"] == "Topology"
    assert "countries" in topology["objects"]
    assert {"AUS", "FRA", "NOR", "UKR", "RUS"} <= maps.topojson_ids()
    assert "MIT" in (path.parent / "LICENSE").read_text(encoding="utf-8")


def test_plotly_config_points_at_the_static_folder() -> None:
    assert maps.PLOTLY_CONFIG["topojsonURL"] == "/app/static/topojson/"
    assert maps.PLOTLY_CONFIG["displaylogo"] is False


def test_static_export_uses_the_vendored_folder(restore_topojson_default: None) -> None:
    url = maps.configure_static_export()
    assert pio.defaults.topojson == url
    assert url.startswith("file://") and url.endswith("/")
    assert (maps.TOPOJSON_DIR / "world_110m.json").is_file()
