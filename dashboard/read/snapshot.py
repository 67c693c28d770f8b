"""A compact columnar snapshot of the current incidents, so filters and counts never rescan the table.

One snapshot holds every incident of the active dataset versions that no active version replaced (rows nobody
may see are left out), as numpy arrays: track, TLP rank, owner organisation (AMBER+STRICT rows only), start day,
month, type and severity, sorted by (start date, id), plus the link tables (targets, initiators, sectors, norms)
as (incident position, code) pairs. It is loaded once per data stamp (the set of active versions) with narrow,
packed reads, and kept for at most two stamps per process.

A viewer's scope (tracks, TLP ceiling, AMBER+STRICT only for the own organisation unless all_organisations) and an
IncidentFilter become one boolean mask over the snapshot; every count is a vectorised reduction over that mask.
The scope rule itself is dashboard.read.scope; the tests compare these reads with the same reads in SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, literal_column, or_, select, table, text

from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_ORDER
from dashboard.read.packed import columns, ints, iso_days, joined, positions
from dashboard.read.scope import Scope, current_rows, track_list
from dashboard.store.db import write_count
from dashboard.store.merge_models import SourceGroup
from dashboard.store.models import Incident

if TYPE_CHECKING:
    from dashboard.core.filters import IncidentFilter

EPOCH = dt.date(1970, 1, 1)
_CACHE: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_CACHE_SIZE = 2
_LOCK = threading.Lock()
_LOADING: dict[str, threading.Lock] = {}


def clear_cache() -> None:
    """Forget every loaded snapshot (tests, measurements)."""
    with _LOCK:
        _CACHE.clear()


def stamp_of(conn: Connection) -> str:
    """A fingerprint of which dataset versions are active (the newest id, the write counter) and of the track
    membership (the incidents' tracks follow it); cache keys include it."""
    latest = conn.execute(text("SELECT max(id) FROM dataset_versions")).scalar() or 0
    writes = write_count(conn)
    active = conn.execute(text("SELECT id FROM dataset_versions WHERE status = 'active' ORDER BY id")).scalars().all()
    members = conn.execute(text("SELECT track_id, iso3 FROM track_members ORDER BY track_id, iso3")).all()
    text_of = ",".join(map(str, active)) + "|" + ",".join(f"{t}:{c}" for t, c in members)
    return f"{latest}.{writes}:" + hashlib.sha256(text_of.encode()).hexdigest()[:16]


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def snapshot(engine: Engine) -> Snapshot:
    """The snapshot of the current data (loaded on first use after the active versions changed)."""
    key = _engine_key(engine)
    with engine.connect() as conn:
        stamp = stamp_of(conn)
    with _LOCK:
        found = _CACHE.get((key, stamp))
        if found is not None:
            _CACHE.move_to_end((key, stamp))
            return found
        loading = _LOADING.setdefault(key, threading.Lock())
    with loading:  # one load per database at a time; others wait for it and then find it cached
        with _LOCK:
            found = _CACHE.get((key, stamp))
        if found is not None:
            return found
        snap = _load(engine)
        with _LOCK:
            _CACHE[(key, snap.stamp)] = snap
            _CACHE.move_to_end((key, snap.stamp))
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return snap


# ---------------------------------------------------------------- the snapshot


@dataclass
class Links:
    """One link table: pairs (incident position in the snapshot, code into vocab)."""

    inc: np.ndarray
    code: np.ndarray
    vocab: list[str]

    def codes_of(self, values: frozenset[str] | set[str]) -> np.ndarray:
        """Codes of the values that exist (unknown values match nothing)."""
        index = {v: i for i, v in enumerate(self.vocab)}
        return np.array(sorted(index[v] for v in values if v in index), dtype=np.int32)

    def any_of(self, n: int, values: frozenset[str] | set[str]) -> np.ndarray:
        """Incidents (mask of length n) linked to any of the values."""
        out = np.zeros(n, dtype=bool)
        codes = self.codes_of(values)
        if len(codes):
            out[self.inc[np.isin(self.code, codes)]] = True
        return out


@dataclass
class Snapshot:
    """Current incidents as arrays (one entry per incident, sorted by start date then id) and their links."""

    stamp: str
    ids: np.ndarray  # int64
    day: np.ndarray  # int32 days since 1970-01-01
    month: np.ndarray  # int32 months since 1970-01
    track: np.ndarray  # int8 code into tracks
    tlp: np.ndarray  # int8 rank in TLP_ORDER
    org: np.ndarray  # int32 code into orgs for AMBER+STRICT rows, -1 otherwise
    type: np.ndarray  # int16 code into types
    severity: np.ndarray  # int8, -1 when unknown
    tracks: list[str]
    types: list[str]
    orgs: list[str]
    country_names: dict[str, str]
    position: Callable[[np.ndarray], np.ndarray]  # incident ids -> positions (-1: not in the snapshot)
    members: dict[str, frozenset[str]] = field(default_factory=dict)  # track -> member countries
    # Incidents whose source record has other copies: positions sorted by (source key, id), and their key codes.
    copies: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    copy_key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    engine: Engine | None = None
    _links: dict[str, Links] = field(default_factory=dict)
    _pending: dict[str, Future] = field(default_factory=dict)
    _dyads: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    _masks: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def size(self) -> int:
        """Number of current incidents."""
        return len(self.ids)

    # ------------------------------------------------------------ masks

    def scope(self, viewer: Viewer) -> np.ndarray:
        """Incidents the viewer may see: of their tracks (by the countries' membership), within their TLP ceiling
        (AMBER+STRICT only of their organisation), each source record once (dashboard.read.scope)."""
        scope = Scope.of(viewer)
        return self.view(scope, scope.tracks)

    def view(self, scope: Scope, tracks: frozenset[str]) -> np.ndarray:
        """Incidents of the tracks whose marking the scope may see, each source record once."""
        return self._cached(
            ("view", scope, tracks),
            lambda: self._once_per_source(scope.marking_mask(self.tlp, self.orgs, self.org) & self.in_tracks(tracks)),
        )

    def in_tracks(self, tracks: frozenset[str]) -> np.ndarray:
        """Incidents with a target or initiator country in the tracks; without any country, uploaded into them."""

        def build() -> np.ndarray:
            members = set().union(*(self.members.get(t, frozenset()) for t in tracks))
            targets, initiators = self.targets, self.initiators
            out = targets.any_of(self.size, members) | initiators.any_of(self.size, members)
            countries = np.bincount(targets.inc, minlength=self.size) + np.bincount(initiators.inc, minlength=self.size)
            uploaded = np.array([t in tracks for t in self.tracks] + [False], dtype=bool)[self.track]
            return out | (uploaded & (countries == 0))

        return self._cached(("tracks", tracks), build)

    def _once_per_source(self, mask: np.ndarray) -> np.ndarray:
        """The mask with only the first visible copy (lowest id) of each source record."""
        if not len(self.copies):
            return mask
        chosen = mask[self.copies]
        positions, keys = self.copies[chosen], self.copy_key[chosen]
        later = np.concatenate([[False], keys[1:] == keys[:-1]])
        if later.any():
            mask = mask.copy()
            mask[positions[later]] = False
        return mask

    def mask(self, viewer: Viewer, flt: IncidentFilter) -> np.ndarray:
        """Incidents the viewer may see that match the filter (read only: do not modify the result)."""
        return self._cached(("filter", Scope.of(viewer), flt), lambda: self._mask(viewer, flt))

    def _mask(self, viewer: Viewer, flt: IncidentFilter) -> np.ndarray:
        scope = Scope.of(viewer)
        mask = self.view(scope, frozenset(track_list(viewer, flt.tracks))).copy()
        if flt.start:
            mask[: np.searchsorted(self.day, to_day(flt.start), side="left")] = False
        if flt.end:
            mask[np.searchsorted(self.day, to_day(flt.end), side="right") :] = False
        if flt.types:  # any of an incident's types, not only the primary one (charts by type keep the primary)
            mask &= self.type_links.any_of(self.size, flt.types)
        if flt.min_severity:
            mask &= self.severity >= flt.min_severity
        if flt.countries:
            mask &= self.targets.any_of(self.size, flt.countries)
        if flt.sectors:
            mask &= self.sectors.any_of(self.size, flt.sectors)
        return mask

    def _cached(self, key: tuple, build) -> np.ndarray:
        with self._lock:
            found = self._masks.get(key)
            if found is not None:
                self._masks.move_to_end(key)
                return found
        value = build()
        value.setflags(write=False)
        with self._lock:
            self._masks[key] = value
            while len(self._masks) > 24:
                self._masks.popitem(last=False)
        return value

    # ------------------------------------------------------------ link tables, read on first use

    def link(self, name: str) -> Links:
        """One link table (targets, initiators, sectors, norms); read in the background while the snapshot loads."""
        found = self._links.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._links.get(name)
            if found is None:
                pending = self._pending.pop(name, None)
                raw = pending.result() if pending is not None else _raw_links(self.engine, name)
                found = self._links[name] = _map_links(self, raw)
            return found

    @property
    def targets(self) -> Links:
        """Target countries."""
        return self.link("targets")

    @property
    def initiators(self) -> Links:
        """Suspected initiator countries."""
        return self.link("initiators")

    @property
    def sectors(self) -> Links:
        """Sectors hit."""
        return self.link("sectors")

    @property
    def norms(self) -> Links:
        """Norm and CBM items the source asserts the incident implicates (the default of every figure)."""
        return self.link("norms")

    @property
    def norms_inferred(self) -> Links:
        """Norm and CBM items a named import rule links to the incident (shown separately, labelled)."""
        return self.link("norms_inferred")

    @property
    def type_links(self) -> Links:
        """Every type of each incident (self.type is the primary one)."""
        return self.link("types")

    # ------------------------------------------------------------ derived arrays

    def dyads(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (incident, initiator code, target code) of incidents with both an initiator and a target."""
        if self._dyads is None:
            initiators, targets = self.initiators, self.targets
            with self._lock:
                if self._dyads is None:
                    self._dyads = _cross(initiators, targets, self.size)
        return self._dyads


def to_day(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def from_day(days: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(days))


def month_labels(months: np.ndarray) -> np.ndarray:
    """'YYYY-MM' of month numbers (months since 1970-01)."""
    return np.datetime_as_string(months.astype("datetime64[M]"), unit="M")


def _cross(left: Links, right: Links, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (incident, left code, right code) combinations per incident."""
    sort = np.argsort(right.inc, kind="stable")
    right = Links(inc=right.inc[sort], code=right.code[sort], vocab=right.vocab)
    right_count = np.bincount(right.inc, minlength=n)
    right_start = np.concatenate([[0], np.cumsum(right_count)[:-1]])
    repeat = right_count[left.inc]
    total = int(repeat.sum())
    inc = np.repeat(left.inc, repeat)
    lcode = np.repeat(left.code, repeat)
    first = np.repeat(np.cumsum(repeat) - repeat, repeat)
    offset = np.arange(total, dtype=np.int64) - first
    rcode = right.code[np.repeat(right_start[left.inc], repeat) + offset]
    return inc.astype(np.int32), lcode, rcode


# ---------------------------------------------------------------- loading


_PREFETCH = ThreadPoolExecutor(max_workers=2, thread_name_prefix="facts-links")


def _load(engine: Engine) -> Snapshot:
    """Read the current incidents (repeated if the active versions changed while reading).

    The link tables are read at the same time on other connections (the database works while Python waits);
    links are matched to incidents by id, so links of incidents outside the snapshot are simply dropped.
    """
    pending = {name: _PREFETCH.submit(_raw_links, engine, name) for name in LINK_TABLES}
    for _attempt in range(5):
        with engine.connect() as conn:
            before = stamp_of(conn)
            snap = _read(conn, before)
            after = stamp_of(conn)
        if before == after:
            break
    snap.engine = engine
    snap._pending = pending
    return snap


def _read(conn: Connection, stamp: str) -> Snapshot:
    where = current_rows(Incident, index_hint=True)  # the unary plus: SQLite scans the covering index
    tracks = list(conn.execute(text("SELECT id FROM tracks ORDER BY id")).scalars())
    types = list(conn.execute(text("SELECT id FROM incident_types ORDER BY id")).scalars())
    countries = {r[0]: r[1] for r in conn.execute(text("SELECT iso3, name FROM countries ORDER BY iso3"))}
    postgres = conn.dialect.name == "postgresql"
    days = (
        joined(literal_column("start_date - DATE '1970-01-01'"), "postgresql")
        if postgres
        else joined(literal_column("start_date"), "sqlite", "")
    )
    if postgres:
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")  # both aggregates in one row order
    # Grouped by the low-cardinality columns, so the database hands over codes once per group (a covering index
    # in that order, migration 0005, makes this one index scan without sorting).
    keys = [literal_column(c) for c in ("track_id", "tlp", "incident_type_id", "severity")]
    groups = conn.execute(
        select(*keys, func.count(), joined(literal_column("id"), conn.dialect.name), days)
        .select_from(table("incidents"))
        .where(where)
        .group_by(*keys)
    ).all()
    sizes = np.array([g[4] for g in groups], dtype=np.int64)

    def code(values: list, vocab: list) -> np.ndarray:
        index = {v: i for i, v in enumerate(vocab)}
        return np.repeat(np.array([index.get(v, len(vocab)) for v in values], dtype=np.int64), sizes)

    track_code = code([g[0] for g in groups], tracks)
    tlp_code = code([g[1] for g in groups], list(TLP_ORDER))
    type_code = code([g[2] for g in groups], types)
    severity = np.repeat(np.array([-1 if g[3] is None else g[3] for g in groups], dtype=np.int64), sizes)
    ids = ints(",".join(g[5] for g in groups))
    day_text = ("," if postgres else "").join(g[6] for g in groups)
    day_by_id = ints(day_text) if postgres else None
    if day_by_id is None and len(day_text) == 10 * len(ids):  # ISO dates, as SQLAlchemy stores them
        day_by_id = iso_days(day_text)
    if day_by_id is None:  # other date text: SQLite computes the day numbers (a second read, aligned by id)
        other_ids, other_days = columns(
            conn, [("id", ","), ("CAST(julianday(start_date) - 2440587.5 AS INTEGER)", ",")], "incidents", where
        )
        lookup = ints(other_ids)
        sorter = np.argsort(lookup, kind="stable")
        day_by_id = ints(other_days)[sorter[np.searchsorted(lookup, ids, sorter=sorter)]]
    if len(ids) != len(day_by_id) or len(ids) != int(sizes.sum()):
        raise RuntimeError("incidents could not be read")
    day = day_by_id.astype(np.int32)
    order = np.argsort((day.astype(np.int64) + 1_000_000) * 2**32 + ids, kind="stable")  # rows come nearly sorted
    ids, day = ids[order], day[order]
    members: dict[str, set[str]] = {}
    for track_id, iso3 in conn.execute(text("SELECT track_id, iso3 FROM track_members")):
        members.setdefault(track_id, set()).add(iso3)
    org = np.full(len(ids), -1, dtype=np.int32)
    strict = conn.execute(text("SELECT id, owner_org FROM incidents WHERE tlp = 'amber+strict'")).all()
    orgs: list[str] = []
    position = positions(ids)
    if strict:
        frame = pd.DataFrame([tuple(r) for r in strict], columns=["id", "org"])
        codes, uniques = pd.factorize(frame["org"])
        orgs = [str(u) for u in uniques]
        found = position(frame["id"].to_numpy(np.int64))
        org[found[found >= 0]] = codes[found >= 0]
    copies, copy_key = _copies(conn, position)
    return Snapshot(
        stamp=stamp,
        members={t: frozenset(c) for t, c in members.items()},
        copies=copies,
        copy_key=copy_key,
        ids=ids,
        day=day,
        month=day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int32),
        track=track_code[order].astype(np.int8),
        tlp=tlp_code[order].astype(np.int8),
        org=org,
        type=type_code[order].astype(np.int16),
        severity=severity[order].astype(np.int8),
        tracks=tracks,
        types=types,
        orgs=orgs,
        country_names=countries,
        position=position,
    )


def _copies(conn: Connection, position: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of current incidents whose group other rows share, sorted by (group, id), with group codes.

    An incident's group is its merge group (source_groups: records of several sources merged into one incident) or
    else its source key (copies of one record)."""
    shared = (
        select(Incident.source_key)
        .where(Incident.source_key != "")
        .group_by(Incident.source_key)
        .having(func.count() > 1)
    )
    rows = conn.execute(
        select(Incident.id, Incident.source_key, SourceGroup.group_key)
        .outerjoin(SourceGroup, SourceGroup.source_key == Incident.source_key)
        .where(or_(Incident.source_key.in_(shared), SourceGroup.group_key.is_not(None)))
    ).all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame([(r[0], r[2] or r[1]) for r in rows], columns=["id", "group"])
    frame["pos"] = position(frame["id"].to_numpy(np.int64))
    frame = frame[frame["pos"] >= 0]
    frame = frame[frame.groupby("group")["id"].transform("size") > 1].sort_values(["group", "id"])
    keys, _ = pd.factorize(frame["group"])
    return frame["pos"].to_numpy(np.int64), keys.astype(np.int64)


INFERRED_SEP = "|"  # between the item id and the rule in the vocabulary of the inferred norm links
LINK_TABLES = {  # name: (table, value column, vocabulary query, which rows (constant SQL, None: all))
    "targets": ("incident_targets", "iso3", "SELECT iso3 FROM countries ORDER BY iso3", None),
    "initiators": ("incident_initiators", "iso3", "SELECT iso3 FROM countries ORDER BY iso3", None),
    "sectors": ("incident_sectors", "sector_id", "SELECT id FROM sectors ORDER BY id", None),
    "types": ("incident_type_links", "type_id", "SELECT id FROM incident_types ORDER BY id", None),
    # Norm links asserted by the source (the default of every figure) and those inferred by a named rule.
    "norms": ("incident_norms", "item_id", "SELECT id FROM framework_items ORDER BY id", "inferred = false"),
    # Inferred links keyed "<item id>|<rule>", so counts per item and rule come from the same arrays.
    "norms_inferred": (
        "incident_norms",
        "item_id || '|' || basis",
        "SELECT DISTINCT item_id || '|' || basis FROM incident_norms WHERE inferred = true ORDER BY 1",
        "inferred = true",
    ),
}


def _raw_links(engine: Engine, name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One link table as (vocab, incident ids, codes into vocab), grouped by value in the database.

    A covering index (value, incident_id) from migration 0005 lets SQLite read it in one index scan.
    """
    link_table, column, vocab_sql, which = LINK_TABLES[name]
    with engine.connect() as conn:
        vocab = list(conn.execute(text(vocab_sql)).scalars())
        value = literal_column(column)
        query = select(value, func.count(), joined(literal_column("incident_id"), conn.dialect.name))
        if which is not None:
            query = query.where(text(which))
        groups = conn.execute(query.select_from(table(link_table)).group_by(value)).all()
    index = {v: i for i, v in enumerate(vocab)}
    groups = [g for g in groups if g[0] in index]
    sizes = np.array([g[1] for g in groups], dtype=np.int64)
    code = np.repeat(np.array([index[g[0]] for g in groups], dtype=np.int64), sizes)
    inc_id = ints(",".join(g[2] for g in groups))
    if len(inc_id) != len(code):
        raise RuntimeError(f"{link_table} could not be read")
    return vocab, inc_id, code


def _map_links(snap: Snapshot, raw: tuple[list[str], np.ndarray, np.ndarray]) -> Links:
    """Links with incident positions; links of incidents outside the snapshot and unknown values dropped."""
    vocab, inc_id, code = raw
    pos = snap.position(inc_id)
    keep = (pos >= 0) & (code < len(vocab))
    return Links(inc=pos[keep].astype(np.int32), code=code[keep].astype(np.int32), vocab=vocab)
