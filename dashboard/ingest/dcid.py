"""The Dyadic Cyber Incident and Campaign Dataset (DCID 2.0): derived columns, padding rows and code tables.

DCID codes states as Correlates-of-War numbers and types, targets and severity as numeric codes. The preset
(dashboard.ingest.presets.DCID) maps its columns; this module adds what a column mapping cannot say:

- the target: DCID names the dyad (`Dyadpair`, the two states' COW numbers written together) and the initiating
  state (`initiator`); the target is the other state of the pair, written to the column TARGET;
- the code that decides the incident type, written to TYPE_CODE: the Ransomware flag, else a method that says what
  was done (vandalism, DDoS, logic bomb, keylogging), else the cyber objective (for intrusions and generic malware);
- the record id, KEY: `Cyberincidentnum`, or in a sheet where that number repeats (the update sheet numbers
  interactions, each holding up to two incidents) the number and the name;
- padding rows (every code 0 or blank, "No Cyber"), which hold no incident and are skipped.

The translations (COW number -> ISO3, codes -> our ids, severity 1-10 -> 0-5) are value tables built from
data/reference/cow_countries.csv, dcid_codes.csv and dcid_severity.csv, each row with its reason.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import read_rows
from dashboard.ingest.value_tables import ValueTables, key

TARGET = "target (other state of Dyadpair)"
TYPE_CODE = "type code (Ransomware, method or cyber_objective)"
KEY = "DCID id"
CODE_COLUMNS = ("method", "targettype", "cyber_objective")  # all 0 or blank: no incident, a padding row


@functools.cache
def cow_to_iso3() -> dict[str, str]:
    """Correlates-of-War state number -> ISO3 (data/reference/cow_countries.csv)."""
    return {r["cow_code"]: r["iso3"] for r in read_rows("cow_countries.csv")}


@functools.cache
def _codes() -> tuple[dict[str, str], ...]:
    return tuple(read_rows("dcid_codes.csv"))


def _type_methods() -> set[str]:
    """The method codes that decide the incident type on their own."""
    return {key(r["code"]) for r in _codes() if r["field"] == "incident_type" and r["column"] == "method"}


def value_tables() -> ValueTables:
    """The preset's value tables: countries, incident type, sectors and severity."""
    countries = cow_to_iso3()
    types = {f"{r['column']} {key(r['code'])}": r["our_value"] for r in _codes() if r["field"] == "incident_type"}
    sectors = {key(r["code"]): r["our_value"] for r in _codes() if r["field"] == "sectors" and r["our_value"]}
    severity = {r["dcid_severity"]: r["severity"] for r in read_rows("dcid_severity.csv")}
    return {
        "target_countries": dict(countries),
        "initiator_countries": dict(countries),
        "incident_type": types,
        "sectors": sectors,
        "severity": severity,
    }


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if pd.isna(v) else key(v) for v in frame[name].tolist()]


def other_state(dyad: str, initiator: str) -> str:
    """The target's COW number: the state of the dyad that is not the initiator; or, when the initiator is not one
    of the pair, a note that validation reports as an unknown country."""
    known = cow_to_iso3()
    found = set()
    if dyad.startswith(initiator) and dyad[len(initiator) :] in known:
        found.add(dyad[len(initiator) :])
    if initiator and dyad.endswith(initiator) and dyad[: -len(initiator)] in known:
        found.add(dyad[: -len(initiator)])
    if len(found) == 1:
        return found.pop()
    if not dyad or not initiator:
        return ""
    return f"unknown: initiator {initiator} is not one state of the dyad {dyad}"


def padding(frame: pd.DataFrame) -> np.ndarray:
    """Rows that hold no incident: every code column 0 or blank (the update sheet's "No Cyber" rows)."""
    present = [c for c in CODE_COLUMNS if c in frame.columns]
    if not present:
        return np.zeros(len(frame), dtype=bool)
    empty = np.ones(len(frame), dtype=bool)
    for column in present:
        empty &= np.isin(np.asarray(_column(frame, column), dtype=object), ["", "0"])
    return empty


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the TARGET, TYPE_CODE and KEY columns added (see the module's description)."""
    out = frame.copy()
    dtype = frame[frame.columns[0]].dtype if len(frame.columns) else object
    dyads, initiators = _column(frame, "Dyadpair"), _column(frame, "initiator")
    out[TARGET] = pd.Series([other_state(d, i) for d, i in zip(dyads, initiators, strict=True)], index=frame.index)
    methods, objectives, ransom = (_column(frame, c) for c in ("method", "cyber_objective", "Ransomware"))
    deciding = _type_methods()
    codes = [
        "Ransomware 1" if r == "1" else f"method {m}" if m in deciding or not o else f"cyber_objective {o}"
        for m, o, r in zip(methods, objectives, ransom, strict=True)
    ]
    out[TYPE_CODE] = pd.Series(codes, index=frame.index)
    numbers = _column(frame, "Cyberincidentnum")
    names = ["" if pd.isna(v) else " ".join(str(v).split()) for v in frame.get("Name", pd.Series([""] * len(frame)))]
    kept = ~padding(frame)
    real = pd.Series(numbers)[kept]
    if real.duplicated().any():  # the update sheet: numbers of interactions, not of incidents
        keys = [f"{n}/{name}" if n else "" for n, name in zip(numbers, names, strict=True)]
    else:
        keys = numbers
    out[KEY] = pd.Series(keys, index=frame.index)
    for column in (TARGET, TYPE_CODE, KEY):
        out[column] = out[column].astype(dtype)
    return out
