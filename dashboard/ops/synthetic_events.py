"""Synthetic attribution and response events for the demo incidents, in the shape real imports store them.

Real imports (EuRepoC, CFR) hand `commit._write_events` lists of `Attribution` and `Response` events in an
incident frame's "attributions" and "responses" columns, and derive the incident's confidence from its attributions
by the rule of dashboard/ingest/attributions.py. The demo does the same: `add_events` draws the events, builds the
same dataclasses (event confidence by `event_confidence`, response kind by the EuRepoC keyword rules from the
synthetic label) and sets the confidence of every incident with attributions by `incident_confidence`. Incidents
without attribution events keep the confidence their template row gives.

Shares, for the incidents with a suspected initiator state: about 35% get one to three attributions (government,
security company, researchers, media; dated after the incident's start), about 12% get one to three political or
legal responses (statement, démarche, sanctions, indictment, expulsion), more often after a government attribution
(then dated after it) and for severe incidents. Events that would fall after the demo period's end (not made yet) are
left out. Every text says it is synthetic and every link points to example.org.

The draws come from their own generator (see `events_rng`), vectorised, so the other layers of a seed stay as they
were; only the objects of the selected incidents are built in Python.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from dashboard.core.threat_actors import resolve
from dashboard.ingest.attributions import Attribution, event_confidence, incident_confidence
from dashboard.ingest.normalise import resolve_country
from dashboard.ingest.responses import Response, eurepoc_kind
from dashboard.ops.synthetic import END, SYNTHETIC_TAG

EVENTS_STREAM = 7  # the second word of the events' seed: (seed, EVENTS_STREAM)
ATTRIBUTED_SHARE = 0.35  # of the incidents with a suspected initiator state
EVENTS_PER_INCIDENT = ([1, 2, 3], [0.55, 0.30, 0.15])
LINK = "https://example.org/synthetic/{event}/{source_id}/{n}"

# Attribution kinds (keys of attributions.KINDS), how often each is drawn, and the mean delay in days after the
# incident's start (a media story comes first, a government's attribution months later).
ATTRIBUTION_KINDS = ("government", "company", "researcher", "media")
KIND_WEIGHTS = (0.27, 0.33, 0.13, 0.27)
KIND_DELAY = (150.0, 45.0, 70.0, 15.0)
KIND_PHRASES = {
    "government": "official government attribution",
    "company": "private-sector threat report",
    "researcher": "technical analysis by researchers",
    "media": "media reporting",
}
# The source's type of attribution per kind, read by `event_confidence` (as EuRepoC's attribution_type is).
ATTRIBUTION_TYPES = {
    "government": (
        ("political statement", "indictment", "sanctions", "statement reported in the media", "anonymous statement"),
        (0.50, 0.08, 0.05, 0.25, 0.12),
    ),
    "company": (("technical report", "type unclear"), (0.85, 0.15)),
    "researcher": (("technical report", "academic study"), (0.80, 0.20)),
    "media": (("media report",), (1.0,)),
}
# Non-state attributors per track: (name, ISO3). None of them is in a state that the demo names as an initiator.
_EE, _IP = "eastern-europe", "indo-pacific"
ATTRIBUTORS = {
    "company": {
        _EE: [
            ("Bluefin Security (synthetic)", "USA"),
            ("Kestrel Labs (synthetic)", "GBR"),
            ("Aurora Threat Research (synthetic)", "FIN"),
            ("Tatra Intelligence (synthetic)", "SVK"),
        ],
        _IP: [
            ("Bluefin Security (synthetic)", "USA"),
            ("Kestrel Labs (synthetic)", "GBR"),
            ("Sakura Cyber Defence (synthetic)", "JPN"),
            ("Southern Cross Security (synthetic)", "AUS"),
        ],
    },
    "researcher": {
        _EE: [("Open Threat Lab (synthetic)", "CAN"), ("Baltic Cyber Research Group (synthetic)", "EST")],
        _IP: [("Open Threat Lab (synthetic)", "CAN"), ("Indo-Pacific Threat Observatory (synthetic)", "SGP")],
    },
    "media": {
        _EE: [
            ("Global Wire Service (synthetic)", "USA"),
            ("Daily Ledger (synthetic)", "GBR"),
            ("Kyiv Wire (synthetic)", "UKR"),
        ],
        _IP: [
            ("Global Wire Service (synthetic)", "USA"),
            ("Daily Ledger (synthetic)", "GBR"),
            ("Pacific Herald (synthetic)", "AUS"),
        ],
    },
}
# States that attribute or respond on a victim's behalf, per track ("EU" stands for the European Union).
ALLIES = {
    _EE: ["USA", "GBR", "DEU", "FRA", "NLD", "POL", "EST", "LTU", "CZE", "EU"],
    _IP: ["USA", "AUS", "JPN", "GBR", "KOR", "NZL", "CAN", "SGP"],
}
VICTIM_SHARE = 0.45  # of government attributions and responses, made by the state that was hit

# Responses: the source's label (the kind follows from it by the EuRepoC keyword rules), its weight and layer.
RESPONSE_LABELS = (
    ("Statement by minister of foreign affairs", 0.28, "political"),
    ("Statement by head of state/head of government", 0.14, "political"),
    ("Summoning of the ambassador", 0.10, "political"),
    ("Diplomatic protest note", 0.06, "political"),
    ("Economic sanctions", 0.16, "legal"),
    ("Criminal charges against named officers", 0.16, "legal"),
    ("Expulsion of diplomats", 0.10, "political"),
)
RESPONSE_DELAY = 60.0  # mean days after the incident's start, or after a government's attribution when there is one
INDICTMENT_DELAY = 240.0  # charges take longer


def events_rng(seed: int) -> np.random.Generator:
    """The events' own generator for a demo seed: drawing events leaves the draws of the other layers unchanged."""
    return np.random.default_rng([seed, EVENTS_STREAM])


@functools.cache
def _country_names() -> dict[str, str]:
    from dashboard.core.vocabulary import labels

    return labels("countries.csv", key="iso3")


@functools.cache
def _actors(name: str) -> frozenset[str]:
    return resolve(name) if name else frozenset()


@functools.cache
def _region(name: str) -> str:
    return resolve_country(name).region or ""


def _state_party(iso3: str) -> tuple[str, str, str]:
    """(name as a source would write it, ISO3, region) of a state, or of the EU (a region, no ISO3)."""
    if iso3 == "EU":
        return "European Union", "", _region("European Union")
    name = _country_names().get(iso3, iso3)
    the = "the " if name.startswith(("United ", "Netherlands", "Philippines")) else ""
    return f"Government of {the}{name}", iso3, ""


def _groups(rng: np.random.Generator, owners: np.ndarray) -> np.ndarray:
    """One to three events for each owner row: the owner row of each event."""
    counts = rng.choice(EVENTS_PER_INCIDENT[0], size=len(owners), p=EVENTS_PER_INCIDENT[1])
    return np.repeat(owners, counts)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str], size: int, p=None) -> np.ndarray:
    """`size` draws from the options (with weights p), as Python strings."""
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p)]


def _state_parties(rng: np.random.Generator, victim: np.ndarray, track: np.ndarray) -> np.ndarray:
    """The acting state of each event: the victim (VICTIM_SHARE) or an ally from its track."""
    out = np.empty(len(victim), dtype=object)
    for name, allies in ALLIES.items():
        sel = track == name
        out[sel] = _pick(rng, allies, int(sel.sum()))
    own = rng.random(len(victim)) < VICTIM_SHARE
    out[own] = victim[own]
    return out


_ORDINAL_1970 = np.datetime64("1970-01-01", "D").astype(object).toordinal()


class Rows:
    """What the draws read of the incident frame, as arrays by row position (converted once)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.initiator = [c[0] if c else "" for c in frame["initiator_countries"].tolist()]
        self.named = np.flatnonzero(np.asarray(self.initiator, dtype=object) != "")
        days = np.fromiter((d.toordinal() for d in frame["start_date"].to_numpy()[self.named].tolist()), np.int64)
        self.start = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")
        self.start[self.named] = (days - _ORDINAL_1970).astype("datetime64[D]")
        self.track = frame["track"].to_numpy(dtype=object)
        self.name = frame["initiator_name"].tolist()
        self.source_id = frame["source_id"].tolist()


def _chronological(owner: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Indices of the events made by the demo period's end, grouped by owner and in date order within it."""
    idx = np.flatnonzero(date <= np.datetime64(END))
    return idx[np.lexsort((date[idx], owner[idx]))]


def _victims(frame: pd.DataFrame, owner: np.ndarray) -> np.ndarray:
    """The first target country of each owner row: the state that was hit."""
    return np.asarray([t[0] for t in frame["target_countries"].to_numpy()[owner].tolist()], dtype=object)


def _attributions(rng: np.random.Generator, rows: Rows, chosen: np.ndarray) -> dict[int, list[Attribution]]:
    """The attribution events of the chosen rows (row position -> events in date order)."""
    owner = _groups(rng, chosen)
    m = len(owner)
    kind_idx = rng.choice(len(ATTRIBUTION_KINDS), size=m, p=KIND_WEIGHTS)
    delay = 1 + rng.exponential(1.0, m) * np.asarray(KIND_DELAY)[kind_idx]
    date = rows.start[owner] + delay.astype("timedelta64[D]")
    atype = np.empty(m, dtype=object)
    who = np.empty(m, dtype=object)
    where = np.empty(m, dtype=object)
    track = rows.track[owner]
    victim = _victims(rows.frame, owner)
    for k, kind in enumerate(ATTRIBUTION_KINDS):
        sel = kind_idx == k
        types, weights = ATTRIBUTION_TYPES[kind]
        atype[sel] = _pick(rng, types, int(sel.sum()), weights)
        if kind == "government":
            where[sel] = _state_parties(rng, victim[sel], track[sel])
            who[sel] = [_state_party(c)[0] for c in where[sel]]
        else:
            for name, options in ATTRIBUTORS[kind].items():
                here = np.flatnonzero(sel & (track == name))
                pick = rng.integers(0, len(options), len(here))
                who[here] = [options[p][0] for p in pick]
                where[here] = [options[p][1] for p in pick]
    order = _chronological(owner, date)
    confidence = {(k, t): event_confidence(k, t) for k, (ts, _) in ATTRIBUTION_TYPES.items() for t in ts}
    basis = {(k, t): f"{SYNTHETIC_TAG} {KIND_PHRASES[k]}; {t}" for k, t in confidence}
    out: dict[int, list[Attribution]] = {}
    for row, day, k, t, by, by_country in zip(
        owner[order].tolist(),
        date[order].astype(object).tolist(),
        kind_idx[order].tolist(),
        atype[order].tolist(),
        who[order].tolist(),
        where[order].tolist(),
    ):
        kind = ATTRIBUTION_KINDS[k]
        events = out.setdefault(row, [])
        link = LINK.format(event="attribution", source_id=rows.source_id[row], n=len(events) + 1)
        name = rows.name[row]
        events.append(
            Attribution(
                date=day,
                attributor=by,
                attributor_country=by_country,
                attributed=name,
                attributed_actors=_actors(name),
                attributed_country=rows.initiator[row],
                kind=kind,
                basis=basis[(kind, t)],
                source=link,
                confidence=confidence[(kind, t)],
                sources=(link,),
            )
        )
    return out


def _responses(
    rng: np.random.Generator, rows: Rows, chosen: np.ndarray, after: np.ndarray
) -> dict[int, list[Response]]:
    """The responses to the chosen rows; `after` is the date each row's responses follow (NaT: its start)."""
    owner = _groups(rng, chosen)
    m = len(owner)
    labels, weights, layers = zip(*RESPONSE_LABELS)
    label_idx = rng.choice(len(labels), size=m, p=np.asarray(weights) / sum(weights))
    kind_of = [eurepoc_kind(label, "") for label in labels]  # the rule real EuRepoC labels go through
    slow = np.asarray([k == "indictment" for k in kind_of])[label_idx]
    delay = 1 + rng.exponential(RESPONSE_DELAY, m) + np.where(slow, rng.exponential(INDICTMENT_DELAY, m), 0)
    base = np.where(np.isnat(after[owner]), rows.start[owner], after[owner])
    date = base + delay.astype("timedelta64[D]")
    state = _state_parties(rng, _victims(rows.frame, owner), rows.track[owner])
    order = _chronological(owner, date)
    parties = {c: _state_party(c) for c in set(state.tolist())}
    label_text = [f"{SYNTHETIC_TAG} {label}" for label in labels]
    out: dict[int, list[Response]] = {}
    for row, day, label, party in zip(
        owner[order].tolist(), date[order].astype(object).tolist(), label_idx[order].tolist(), state[order].tolist()
    ):
        responder, iso3, region = parties[party]
        events = out.setdefault(row, [])
        events.append(
            Response(
                date=day,
                responder=responder,
                responder_country=iso3,
                responder_region=region,
                kind=kind_of[label],
                source_kind=label_text[label],
                target=rows.initiator[row],
                link=LINK.format(event="response", source_id=rows.source_id[row], n=len(events) + 1),
                layer=layers[label],
            )
        )
    return out


def add_events(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The incidents with "attributions" and "responses" columns (lists of events, [] for none), their confidence
    derived from their attributions by the rule and their attribution basis naming the kinds of attributor."""
    n = len(frame)
    rows = Rows(frame)
    attributions = _attributions(rng, rows, rows.named[rng.random(len(rows.named)) < ATTRIBUTED_SHARE])
    after = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")  # a government's first attribution
    for row, events in attributions.items():
        official = [e.date for e in events if e.kind == "government"]
        if official:
            after[row] = min(official)
    severe = frame["severity"].to_numpy()[rows.named] >= 3
    p = 0.08 + 0.03 * severe + 0.30 * ~np.isnat(after[rows.named])
    responses = _responses(rng, rows, rows.named[rng.random(len(rows.named)) < p], after)

    out = frame.copy()
    for column, events in (("attributions", attributions), ("responses", responses)):
        cells = [[] for _ in range(n)]
        for row, listed in events.items():
            cells[row] = listed
        out[column] = cells
    if attributions:
        at = np.fromiter(attributions, dtype=np.int64, count=len(attributions))
        confidence = out["confidence"].to_numpy(dtype=object, copy=True)
        confidence[at] = [incident_confidence(attributions[r]) for r in at.tolist()]
        basis = out["attribution_basis"].to_numpy(dtype=object, copy=True)
        basis[at] = ["; ".join(dict.fromkeys(KIND_PHRASES[e.kind] for e in attributions[r])) for r in at.tolist()]
        out["confidence"] = confidence
        out["attribution_basis"] = basis
    return out
