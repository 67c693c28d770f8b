"""Regenerate data/reference/threat_actors.csv and data/reference/threat_actor_aliases.csv.

Source: MISP galaxy `clusters/threat-actor.json` (https://github.com/MISP/misp-galaxy, dual-licensed CC0 1.0 /
BSD-2-Clause). The JSON is read from a local path, so the build runs offline:

    python scripts/build_threat_actors.py path/to/threat-actor.json [--out-dir data/reference]

Rules (see data/reference/threat_actors.NOTES.md):
- one actor per MISP cluster entry; `name` is the MISP `value`, `actor_id` a slug of it;
- `state_iso3` comes from `meta.country` (ISO 3166 alpha-2), else from `meta.cfr-suspected-state-sponsor`
  (a country name); empty when unknown;
- only entries with a suspected state or at least one synonym are kept;
- aliases are the canonical name plus `meta.synonyms` (and the names in `meta.name-attribution`, which are
  "Name:producer-uuid" pairs and so far always repeat a synonym or the value);
- an alias whose normalised form is claimed by two or more actors is ambiguous and is left out of the alias
  table; the ambiguous forms are printed (and written with --ambiguous-out) for the notes file.

Standard library plus pycountry only. Output is sorted, so reruns on the same input give identical files.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parents[1]

# cfr-suspected-state-sponsor values that pycountry's lookup does not resolve by itself.
CFR_STATE_NAMES = {
    "china": "CHN",
    "people's republic of china": "CHN",
    "russian federation": "RUS",
    "iran (islamic republic of)": "IRN",
    "korea (democratic people's republic of)": "PRK",
    "korea (republic of)": "KOR",
    "united states": "USA",
    "us": "USA",
    "vietnam": "VNM",
    "palestine": "PSE",
}
UNKNOWN_STATES = {"", "unknown", "none", "n/a"}


def normalise(name: str) -> str:
    """Lower-case and drop everything that is not a letter or digit: "Fancy Bear" -> "fancybear"."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def slugify(name: str) -> str:
    """Stable ASCII slug of a canonical name: "Lazarus Group" -> "lazarus-group", "APT28" -> "apt28"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def alpha2_to_iso3(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return country.alpha_3 if country else ""


def state_name_to_iso3(name) -> str:
    if isinstance(name, list):  # never seen so far; take it only when unambiguous
        codes = {state_name_to_iso3(n) for n in name} - {""}
        return codes.pop() if len(codes) == 1 else ""
    key = (name or "").strip().casefold()
    if key in UNKNOWN_STATES:
        return ""
    if key in CFR_STATE_NAMES:
        return CFR_STATE_NAMES[key]
    try:
        return pycountry.countries.lookup(name.strip()).alpha_3
    except LookupError:
        return ""


def as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


def build(source: Path):
    data = json.loads(source.read_text(encoding="utf-8"))
    actors = []  # dicts: actor_id, name, state_iso3, source, aliases
    warnings = []
    for entry in data["values"]:
        meta = entry.get("meta") or {}
        name = entry["value"].strip()
        synonyms = [s.strip() for s in as_list(meta.get("synonyms")) if s and s.strip()]
        attributed = [n.rsplit(":", 1)[0].strip() for n in as_list(meta.get("name-attribution"))]
        state = alpha2_to_iso3(meta.get("country") or "")
        if meta.get("country") and not state:
            warnings.append(f"unknown alpha-2 {meta.get('country')!r} for {name}")
        if not state and meta.get("cfr-suspected-state-sponsor"):
            state = state_name_to_iso3(meta["cfr-suspected-state-sponsor"])
        if not state and not synonyms:
            continue
        aliases = {name, *synonyms, *(a for a in attributed if a)}
        aliases = {a for a in aliases if normalise(a)}
        actors.append(
            {
                "name": name,
                "uuid": entry["uuid"],
                "state_iso3": state,
                "aliases": aliases,
            }
        )

    # actor_id: slug of the name; a clash (or an empty slug) falls back to slug + first 8 hex of the uuid.
    by_slug = defaultdict(list)
    for actor in actors:
        by_slug[slugify(actor["name"])].append(actor)
    for slug, group in by_slug.items():
        for actor in group:
            if slug and len(group) == 1:
                actor["actor_id"] = slug
            else:
                actor["actor_id"] = f"{slug}-{actor['uuid'][:8]}".strip("-")
                warnings.append(f"slug clash or empty slug for {actor['name']!r}: {actor['actor_id']}")

    claims = defaultdict(set)  # normalised alias -> actor_ids
    for actor in actors:
        for alias in actor["aliases"]:
            claims[normalise(alias)].add(actor["actor_id"])
    ambiguous = {norm: ids for norm, ids in claims.items() if len(ids) > 1}

    actor_rows = sorted(
        (a["actor_id"], a["name"], a["state_iso3"], f"MISP galaxy threat-actor {a['uuid']}") for a in actors
    )
    alias_rows = sorted(
        {
            (alias, actor["actor_id"], normalise(alias))
            for actor in actors
            for alias in actor["aliases"]
            if normalise(alias) not in ambiguous
        },
        key=lambda r: (r[2], r[0], r[1]),
    )
    names = {a["actor_id"]: a["name"] for a in actors}
    surface = defaultdict(set)
    for actor in actors:
        for alias in actor["aliases"]:
            if normalise(alias) in ambiguous:
                surface[normalise(alias)].add(alias)
    ambiguous_rows = sorted(
        (norm, " / ".join(sorted(surface[norm])), "; ".join(f"{names[i]} ({i})" for i in sorted(ids)))
        for norm, ids in ambiguous.items()
    )
    return actor_rows, alias_rows, ambiguous_rows, warnings


def write_csv(path: Path, header, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="local copy of MISP galaxy clusters/threat-actor.json")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "data" / "reference")
    parser.add_argument("--ambiguous-out", type=Path, help="optional CSV of the ambiguous aliases left out")
    args = parser.parse_args(argv)

    actor_rows, alias_rows, ambiguous_rows, warnings = build(args.source)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(args.out_dir / "threat_actors.csv", ["actor_id", "name", "state_iso3", "source"], actor_rows)
    write_csv(args.out_dir / "threat_actor_aliases.csv", ["alias", "actor_id", "normalised"], alias_rows)
    if args.ambiguous_out:
        write_csv(args.ambiguous_out, ["normalised", "aliases", "claimed_by"], ambiguous_rows)
    for w in warnings:
        print("warning:", w, file=sys.stderr)
    print(
        f"{len(actor_rows)} actors, {len(alias_rows)} aliases, {len(ambiguous_rows)} ambiguous aliases left out",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
