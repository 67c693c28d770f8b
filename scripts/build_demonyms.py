"""Regenerate data/reference/demonyms.csv: the adjective of each country ("Ukrainian" -> UKR).

CFR's Victims column is free text that often names a country only by its adjective ("Ukrainian power
companies"). Needs `pip install countryinfo pycountry` (countryinfo, MIT, has a demonym per country); neither is a
runtime dependency: the dashboard reads the generated file.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pycountry
from countryinfo import CountryInfo

ROOT = Path(__file__).resolve().parents[1]
# A demonym shared by a state and its territories means the state.
PREFER = {"French": "FRA", "Chinese": "CHN", "Indian": "IND", "American": "USA", "Norwegian": "NOR"}
# Shared by two states: never guessed.
AMBIGUOUS = {"Congolese", "Dominican", "Channel Islander"}
# countryinfo gives a place name or a rare form for these; the usual adjective is added below.
SKIP = {"Djibouti", "Gibraltar", "Christmas Island", "Tadzhik", "Kirghiz"}
EXTRA = {
    "Argentine": "ARG",
    "Bosnian": "BIH",
    "Cape Verdean": "CPV",
    "Djiboutian": "DJI",
    "Ecuadorian": "ECU",
    "Gibraltarian": "GIB",
    "Kazakh": "KAZ",
    "Kosovar": "XKX",
    "Kosovan": "XKX",
    "Kyrgyz": "KGZ",
    "Lao": "LAO",
    "Macanese": "MAC",
    "Maldivian": "MDV",
    "Palestinian": "PSE",
    "Saudi": "SAU",
    "Slovenian": "SVN",
    "Tajik": "TJK",
    "Timorese": "TLS",
    "Uzbek": "UZB",
    "Azeri": "AZE",
    "Belarussian": "BLR",
    "Hong Konger": "HKG",
    "Vatican": "VAT",
}


def main() -> int:
    found: dict[str, set[str]] = {}
    for c in pycountry.countries:
        try:
            text = CountryInfo(c.alpha_2).demonym()
        except Exception:
            continue
        for demonym in (text or "").split(","):
            if demonym.strip():
                found.setdefault(demonym.strip(), set()).add(c.alpha_3)
    rows: dict[str, str] = {}
    for demonym, codes in found.items():
        if demonym in SKIP or demonym in AMBIGUOUS:
            continue
        if demonym in PREFER:
            rows[demonym] = PREFER[demonym]
        elif len(codes) == 1:
            rows[demonym] = next(iter(codes))
        else:
            print(f"ambiguous, left out: {demonym} {sorted(codes)}", file=sys.stderr)
    rows.update(EXTRA)
    out = ROOT / "data" / "reference" / "demonyms.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["demonym", "iso3"])
        writer.writerows(sorted(rows.items()))
    print(f"{len(rows)} demonyms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
