"""Regenerate data/reference/countries.csv and data/boundaries/countries_110m.geojson.

Developer tool, run once when the reference data changes; the app never runs it.
Needs `pip install countryinfo pycountry geopandas` (countryinfo, MIT, gives capital coordinates).
Boundaries: Natural Earth 1:110m admin-0 (public domain) as carried by the pyogrio wheel.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import geopandas as gpd
import pycountry
import pyogrio
from countryinfo import CountryInfo

ROOT = Path(__file__).resolve().parents[1]
NE = Path(pyogrio.__file__).parent / "tests" / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"
# Natural Earth marks some states "-99"; fix them by name (join on ISO3 everywhere else).
NE_FIX = {"France": "FRA", "Norway": "NOR", "Kosovo": "XKX", "N. Cyprus": None, "Somaliland": None}
EXTRA = [("XKX", "Kosovo", 42.6629, 21.1655)]
# countryinfo gets a few capitals wrong; checked by hand against the capital's coordinates.
COORD_FIX = {
    "TLS": (-8.5569, 125.5603),
    "AIA": (18.2206, -63.0686),
    # countryinfo geocodes these capitals to a namesake elsewhere (St. John's, Canada; Douglas, USA; ...)
    "ATG": (17.1175, -61.8456),
    "GRD": (12.0561, -61.7488),
    "IMN": (54.15, -4.4833),
    "MSR": (16.7918, -62.2106),  # Brades, the de facto capital since Plymouth was abandoned
    "NFK": (-29.0545, 167.966),
    "REU": (-20.8789, 55.4481),
    "SHN": (-15.9244, -5.7181),
    "SPM": (46.7811, -56.1764),
    # no capital in countryinfo: the main settlement or island
    "BES": (12.1443, -68.2655),
    "BVT": (-54.4232, 3.4139),
    "HMD": (-53.0818, 73.5042),
    "UMI": (19.2823, 166.647),  # Wake Island
}
# Names in pycountry that read badly on a map label; ids are unaffected.
SHORT = {
    "Korea, Republic of": "South Korea",
    "Korea, Democratic People's Republic of": "North Korea",
    "Iran, Islamic Republic of": "Iran",
    "Russian Federation": "Russia",
    "Moldova, Republic of": "Moldova",
    "Lao People's Democratic Republic": "Laos",
    "Viet Nam": "Vietnam",
    "Syrian Arab Republic": "Syria",
    "Taiwan, Province of China": "Taiwan",
    "Micronesia, Federated States of": "Micronesia",
    "Brunei Darussalam": "Brunei",
    "Tanzania, United Republic of": "Tanzania",
    "Venezuela, Bolivarian Republic of": "Venezuela",
    "Bolivia, Plurinational State of": "Bolivia",
    "Türkiye": "Türkiye",
}


def main() -> int:
    ne = gpd.read_file(NE)
    ne["iso_a3"] = [NE_FIX.get(n, i) if i == "-99" else i for n, i in zip(ne["name"], ne["iso_a3"])]
    ne = ne[ne["iso_a3"].notna() & (ne["iso_a3"] != "-99")]
    shapes = set(ne["iso_a3"])
    centroids = {r.iso_a3: r.geometry.representative_point() for r in ne.itertuples()}
    rows = []
    for c in pycountry.countries:
        name = SHORT.get(c.name, getattr(c, "common_name", None) or c.name)
        lat = lon = None
        try:
            ll = CountryInfo(c.alpha_2).capital_latlng()
            lat, lon = float(ll[0]), float(ll[1])
        except Exception:
            pt = centroids.get(c.alpha_3)
            if pt is not None:
                lat, lon = pt.y, pt.x
        lat, lon = COORD_FIX.get(c.alpha_3, (lat, lon))
        rows.append((c.alpha_3, name, c.name, lat, lon, c.alpha_3 in shapes))
    for iso3, name, lat, lon in EXTRA:
        rows.append((iso3, name, name, lat, lon, iso3 in shapes))
    rows.sort()
    out = ROOT / "data" / "reference" / "countries.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["iso3", "name", "official_name", "lat", "lon", "has_shape"])
        for iso3, name, off, lat, lon, has in rows:
            w.writerow(
                [
                    iso3,
                    name,
                    off,
                    "" if lat is None else round(lat, 4),
                    "" if lon is None else round(lon, 4),
                    "true" if has else "false",
                ]
            )
    geo = ne[["iso_a3", "name", "geometry"]].rename(columns={"iso_a3": "iso3"})
    geo["geometry"] = geo.geometry.simplify(0.05, preserve_topology=True).set_precision(0.01)
    geo.to_file(ROOT / "data" / "boundaries" / "countries_110m.geojson", driver="GeoJSON")
    for iso3, _n, _o, lat, lon, has in rows:
        pt = centroids.get(iso3)
        if has and lat is not None and (abs(pt.y - lat) > 20 or abs(pt.x - lon) > 25):
            print(f"check {iso3}: capital {lat},{lon} far from shape {pt.y:.1f},{pt.x:.1f}", file=sys.stderr)
    print(f"{len(rows)} countries, {len(geo)} shapes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
