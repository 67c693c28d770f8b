"""The `incidents` command: find incidents by text or actor alias, each with its attributions and responses, as
text or JSON (for operators and scripts). Reads as a named account, so it shows only what that account may see."""

from __future__ import annotations

import argparse
import json

import pandas as pd

from dashboard import read
from dashboard.cli.context import EXIT_OK, Refused, actor, ready_engine
from dashboard.core.settings import Settings
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.read import merges


def add_incidents_parser(sub: argparse._SubParsersAction) -> None:
    """The `incidents --search` command."""
    p = sub.add_parser(
        "incidents",
        help="find incidents with their attributions and responses",
        description="List the incidents whose title, description or actor names contain TEXT, or whose attributions "
        "name the actor TEXT is an alias of (Fancy Bear finds APT28's), newest first, one line per incident (the "
        "records of several sources merged into one incident listed under it, with where they disagree), each with "
        "its attributions and responses. Only what --user may see.",
    )
    p.add_argument("--search", required=True, metavar="TEXT")
    p.add_argument("--track", choices=TRACK_IDS, help="only incidents of this track")
    p.add_argument("--limit", type=int, default=20, help="at most this many incidents (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--user", default="local-admin", help="account to read as (default: local-admin)")


def _events(frame, columns: tuple[str, ...]) -> list[dict[str, object]]:
    def plain(column: str, value: object) -> object:
        if column == "date":
            return None if pd.isna(value) else str(value)  # NaT or None: no date
        return list(value) if column == "attributed_actors" else value

    return [{c: plain(c, v) for c, v in row.items() if c in columns} for row in frame.to_dict("records")]


def cmd_incidents(args: argparse.Namespace, settings: Settings) -> int:
    if not args.search.strip():
        raise Refused("--search needs some text")
    engine = ready_engine(args, settings)
    viewer = actor(engine, args.user, settings)
    tracks = frozenset({args.track}) if args.track else frozenset()
    found = read.search_incidents(engine, viewer, args.search, tracks=tracks, limit=max(1, args.limit))
    out = []
    for row in found.to_dict("records"):
        members = merges.members(engine, viewer, int(row["id"]))
        ids = tuple(int(i) for i in members["id"]) or (int(row["id"]),)
        attributions = read.incident_attributions(engine, viewer, ids)
        responses = read.incident_responses(engine, viewer, ids)
        out.append(
            {
                "id": int(row["id"]),
                "source": row["source_key"],
                "title": row["title"],
                "start_date": str(row["start_date"]),
                "sources": [
                    {
                        "id": int(m["id"]),
                        "source": m["source_key"],
                        "title": m["title"],
                        "start_date": str(m["start_date"]),
                    }
                    for m in members.to_dict("records")
                ],
                "disagreements": [{"field": f, "sources": t} for f, t in merges.disagreements(members)],
                "attributions": _events(
                    attributions,
                    (
                        "date",
                        "attributor",
                        "attributor_country",
                        "attributed",
                        "attributed_actors",
                        "attributed_country",
                        "kind",
                        "confidence",
                        "source",
                    ),
                ),
                "responses": _events(
                    responses, ("date", "responder", "responder_country", "responder_region", "kind", "link")
                ),
            }
        )
    if args.json:
        print(json.dumps(out, indent=1, default=list))
        return EXIT_OK
    for item in out:
        print(f"{item['start_date']}  {item['source']}  {item['title'][:100]}")
        for other in item["sources"][1:]:
            print(f"    also {other['source']} ({other['start_date']}): {other['title'][:80]}")
        for d in item["disagreements"]:
            print(f"    sources disagree on {d['field']}: {d['sources'][:160]}")
        for a in item["attributions"]:
            who = a["attributor"] or "not stated"
            print(
                f"    attributed {a['date'] or '?'} by {who[:60]} ({a['kind']}, {a['confidence']}) "
                f"to {a['attributed_country'] or a['attributed'][:40] or '?'}"
            )
        for r in item["responses"]:
            by = r["responder_country"] or r["responder_region"] or r["responder"] or "not named"
            print(f"    response {r['date'] or '?'} by {by}: {r['kind']}")
    print(f"{len(out)} incident{'s' if len(out) != 1 else ''}")
    return EXIT_OK
