"""Attributions and responses a coordinator writes by hand: the "attributions" and "responses" sheets of our incidents
workbook (data/templates/incidents.xlsx), joined to the incidents of the first sheet by source_id.

Every cell is checked before anything is written: an incident id the first sheet does not have, a date that is not
YYYY-MM-DD, a kind outside the vocabulary, a state that is not a country, a link that is not http(s): the upload is
refused with each problem (sheet, row, column, value) and nothing changes. The events are stored with their incident,
in its version; an event's confidence follows the written rule (dashboard/ingest/attributions.py) from its kind and
its basis, and so does the incident's when its own confidence cell is empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from dashboard.core.threat_actors import resolve
from dashboard.ingest import attributions as attr
from dashboard.ingest import responses as resp
from dashboard.ingest.normalise import is_missing, parse_date, resolve_country
from dashboard.ingest.templates import EVENT_TEMPLATES

SHEETS = tuple(EVENT_TEMPLATES)  # "attributions", "responses"
MAX_PROBLEMS = 12  # listed in the refusal; the count says how many more
_URL = re.compile(r"https?://\S+", re.I)


class EventSheetProblems(Exception):
    """The event sheets hold cells that cannot be stored; the message lists them."""


def wanted(sheets: list[str]) -> dict[str, str]:
    """The event sheets of a workbook: our name -> the sheet's name as written (case and spaces ignored)."""
    found = {s.strip().casefold(): s for s in sheets}
    return {name: found[name] for name in SHEETS if name in found}


def _cells(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The sheet with our column names (headers matched ignoring case and spaces), missing columns empty."""
    columns = {str(c).strip().casefold(): c for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    for col in EVENT_TEMPLATES[name]:
        source = columns.get(col.name)
        out[col.name] = frame[source].astype(str).str.strip() if source is not None else ""
    return out.fillna("")


def attach(rows: pd.DataFrame, sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The checked incident rows with the events of the sheets in their attributions and responses columns (and
    the incident confidence derived from the attributions where the row gave none); raises EventSheetProblems."""
    problems: list[str] = []
    ids = {str(s): i for i, s in enumerate(rows["source_id"]) if str(s)}
    events: dict[str, list[list]] = {name: [[] for _ in range(len(rows))] for name in SHEETS}
    for name, frame in sheets.items():
        build = _attribution if name == "attributions" else _response
        for number, cells in enumerate(_cells(frame, name).to_dict("records"), start=2):
            if not any(cells.values()):
                continue

            def problem(column: str, value: str, why: str, number: int = number, name: str = name) -> None:
                problems.append(f"{name} sheet, row {number}, {column} '{value[:60]}': {why}")

            owner = ids.get(cells["source_id"])
            if owner is None:
                problem("source_id", cells["source_id"], "no incident of the first sheet has this source_id")
                continue
            events[name][owner].append(build(cells, problem))
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise EventSheetProblems(
            "The event sheets hold cells that cannot be stored; nothing was stored. Fix them and upload again"
            f"{more}:\n" + "\n".join(f"- {p}" for p in problems[:MAX_PROBLEMS])
        )
    out = rows.copy()
    out["attributions"] = [a + b for a, b in zip(_listed(rows, "attributions"), events["attributions"], strict=True)]
    out["responses"] = [a + b for a, b in zip(_listed(rows, "responses"), events["responses"], strict=True)]
    derived = [attr.incident_confidence(a) for a in out["attributions"]]
    given = out["confidence"].astype(str)
    out["confidence"] = [c if c not in ("", "unknown") or not d else d for c, d in zip(given, derived, strict=True)]
    return out


def _listed(rows: pd.DataFrame, column: str) -> list[list]:
    if column not in rows.columns:
        return [[] for _ in range(len(rows))]
    return [list(v) if isinstance(v, list) else [] for v in rows[column]]


Problem = Callable[[str, str, str], None]


def _date(cells: dict[str, str], problem: Problem):
    found = parse_date(cells["date"])
    if found.problem:
        problem("date", cells["date"], found.problem)
    return found.value


def _country(cells: dict[str, str], column: str, problem: Problem) -> str:
    value = cells[column]
    if is_missing(value):
        return ""
    match = resolve_country(value)
    if not match.iso3:
        problem(column, value, "not a country (ISO3 code or name)")
    return match.iso3 or ""


def _link(cells: dict[str, str], problem: Problem) -> str:
    value = cells["link"]
    if is_missing(value):
        return ""
    if not _URL.fullmatch(value):
        problem("link", value, "not an http(s) link")
    return value


def _attribution(cells: dict[str, str], problem: Problem) -> attr.Attribution:
    kind = cells["kind"].casefold() or "unknown"
    if kind not in attr.KINDS:
        problem("kind", cells["kind"], "not one of " + ", ".join(attr.KINDS))
        kind = "unknown"  # the upload is refused; the other cells are still checked
    link = _link(cells, problem)
    return attr.Attribution(
        date=_date(cells, problem),
        attributor=cells["attributor"],
        attributor_country=_country(cells, "attributor_country", problem),
        attributed=cells["attributed"],
        attributed_actors=resolve(cells["attributed"]) if cells["attributed"] else frozenset(),
        attributed_country=_country(cells, "attributed_country", problem),
        kind=kind,
        basis=cells["basis"],
        source=link,
        confidence=attr.event_confidence(kind, cells["basis"]),
        sources=(link,) if link else (),
    )


def _response(cells: dict[str, str], problem: Problem) -> resp.Response:
    kind = cells["kind"].casefold().replace("é", "e")
    if kind not in resp.KINDS:
        problem("kind", cells["kind"], "not one of " + ", ".join(resp.KINDS))
        kind = "other"  # the upload is refused; the other cells are still checked
    layer = cells["layer"].casefold() or "political"
    if layer not in resp.LAYERS:
        problem("layer", cells["layer"], "not political or legal")
    targets = []
    for part in [p.strip() for p in cells["target"].split(";") if p.strip()]:
        match = resolve_country(part)
        if not match.iso3:
            problem("target", part, "not a country (ISO3 code or name)")
        targets.append(match.iso3 or "")
    responder = cells["responder_country"]
    match = resolve_country(responder) if responder else None
    region = ""
    if responder and not (match and match.iso3):
        region = (match.region if match else "") or ""
        if not region:
            problem("responder_country", responder, "not a country or region")
    return resp.Response(
        date=_date(cells, problem),
        responder=cells["responder"] or responder,
        responder_country=(match.iso3 or "") if match else "",
        responder_region=region,
        kind=kind,
        source_kind=cells["kind"],
        target="; ".join(t for t in targets if t),
        link=_link(cells, problem),
        layer=layer,
    )
