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
from sqlalchemy import ColumnElement, Connection, Engine, Text, cast, func, literal, literal_column, select, table, text

from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_ORDER
from dashboard.read.scope import Scope, current_rows
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
    """A fingerprint of which dataset versions are active (and the newest id); cache keys include it."""
    latest = conn.execute(text("SELECT max(id) FROM dataset_versions")).scalar() or 0
    active = conn.execute(text("SELECT id FROM dataset_versions WHERE status = 'active' ORDER BY id")).scalars().all()
    return f"{latest}:" + hashlib.sha256(",".join(map(str, active)).encode()).hexdigest()[:16]


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
        """Incidents the viewer may see: their tracks and TLP ceiling; AMBER+STRICT only of their organisation."""
        scope = Scope.of(viewer)
        return self._cached(
            ("scope", scope), lambda: scope.mask(self.tracks, self.track, self.tlp, self.orgs, self.org)
        )

    def mask(self, viewer: Viewer, flt: IncidentFilter) -> np.ndarray:
        """Incidents the viewer may see that match the filter (read only: do not modify the result)."""
        return self._cached(("filter", Scope.of(viewer), flt), lambda: self._mask(viewer, flt))

    def _mask(self, viewer: Viewer, flt: IncidentFilter) -> np.ndarray:
        mask = self.scope(viewer).copy()
        if flt.tracks:
            wanted = np.array([t in flt.tracks for t in self.tracks] + [False], dtype=bool)
            mask &= wanted[self.track]
        if flt.start:
            mask[: np.searchsorted(self.day, to_day(flt.start), side="left")] = False
        if flt.end:
            mask[np.searchsorted(self.day, to_day(flt.end), side="right") :] = False
        if flt.types:
            wanted = np.array([t in flt.types for t in self.types] + [False], dtype=bool)
            mask &= wanted[self.type]
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
        """Norm and CBM items implicated."""
        return self.link("norms")

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


def joined(column: ColumnElement, dialect: str, sep: str = ",") -> ColumnElement[str]:
    """The values of a column over each group (or all rows) joined with sep, as text, by the database."""
    if dialect == "postgresql":
        return func.string_agg(cast(column, Text), literal(sep, literal_execute=True))
    return func.group_concat(column, literal(sep, literal_execute=True))


def _columns(conn: Connection, exprs: list[tuple[str, str]], source: str, where: ColumnElement) -> list[str | None]:
    """Several aggregates over the same rows in one query, so their values stay in the same row order.

    Reading one joined string per column and parsing it with numpy is many times faster than fetching a million
    rows through the driver. Parallel aggregation is switched off on PostgreSQL to keep the orders equal.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    aggregates = [joined(literal_column(expr), dialect, sep) for expr, sep in exprs]
    return list(conn.execute(select(*aggregates).select_from(table(source)).where(where)).one())


def _ints(joined: str | None) -> np.ndarray:
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(joined, dtype=np.int64, sep=",")


def _iso_days(joined: str) -> np.ndarray | None:
    """Day numbers of 'YYYY-MM-DD' dates joined without separator (None when the text is not such dates).

    The 'YYYY-MM-' prefix of each date is factorised (a few hundred distinct months), so only the day of the
    month is computed per row.
    """
    raw = np.frombuffer(joined.encode("ascii", errors="replace"), dtype=np.uint8).reshape(-1, 10)
    digits = raw[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    if not (((digits >= 48) & (digits <= 57)).all() and (raw[:, 4] == 45).all() and (raw[:, 7] == 45).all()):
        return None
    prefix = np.ascontiguousarray(raw[:, :8]).view("<u8").ravel()
    codes, months = pd.factorize(prefix)
    try:
        starts = np.array(
            [np.datetime64(np.array([m]).view("S8")[0].decode()[:7], "M").astype("datetime64[D]") for m in months],
            dtype="datetime64[D]",
        ).astype(np.int64)
    except ValueError:
        return None
    day_of_month = raw[:, 8].astype(np.int64) * 10 + raw[:, 9] - 528
    return starts[codes] + day_of_month - 1


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
    ids = _ints(",".join(g[5] for g in groups))
    day_text = ("," if postgres else "").join(g[6] for g in groups)
    day_by_id = _ints(day_text) if postgres else None
    if day_by_id is None and len(day_text) == 10 * len(ids):  # ISO dates, as SQLAlchemy stores them
        day_by_id = _iso_days(day_text)
    if day_by_id is None:  # other date text: SQLite computes the day numbers (a second read, aligned by id)
        other_ids, other_days = _columns(
            conn, [("id", ","), ("CAST(julianday(start_date) - 2440587.5 AS INTEGER)", ",")], "incidents", where
        )
        lookup = _ints(other_ids)
        sorter = np.argsort(lookup, kind="stable")
        day_by_id = _ints(other_days)[sorter[np.searchsorted(lookup, ids, sorter=sorter)]]
    if len(ids) != len(day_by_id) or len(ids) != int(sizes.sum()):
        raise RuntimeError("incidents could not be read")
    day = day_by_id.astype(np.int32)
    order = np.argsort((day.astype(np.int64) + 1_000_000) * 2**32 + ids, kind="stable")  # rows come nearly sorted
    ids, day = ids[order], day[order]
    org = np.full(len(ids), -1, dtype=np.int32)
    strict = conn.execute(text("SELECT id, owner_org FROM incidents WHERE tlp = 'amber+strict'")).all()
    orgs: list[str] = []
    position = _positions(ids)
    if strict:
        frame = pd.DataFrame([tuple(r) for r in strict], columns=["id", "org"])
        codes, uniques = pd.factorize(frame["org"])
        orgs = [str(u) for u in uniques]
        found = position(frame["id"].to_numpy(np.int64))
        org[found[found >= 0]] = codes[found >= 0]
    return Snapshot(
        stamp=stamp,
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


LINK_TABLES = {
    "targets": ("incident_targets", "iso3", "SELECT iso3 FROM countries ORDER BY iso3"),
    "initiators": ("incident_initiators", "iso3", "SELECT iso3 FROM countries ORDER BY iso3"),
    "sectors": ("incident_sectors", "sector_id", "SELECT id FROM sectors ORDER BY id"),
    "norms": ("incident_norms", "item_id", "SELECT id FROM framework_items ORDER BY id"),
}


def _raw_links(engine: Engine, name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One link table as (vocab, incident ids, codes into vocab), grouped by value in the database.

    A covering index (value, incident_id) from migration 0005 lets SQLite read it in one index scan.
    """
    link_table, column, vocab_sql = LINK_TABLES[name]
    with engine.connect() as conn:
        vocab = list(conn.execute(text(vocab_sql)).scalars())
        value = literal_column(column)
        groups = conn.execute(
            select(value, func.count(), joined(literal_column("incident_id"), conn.dialect.name))
            .select_from(table(link_table))
            .group_by(value)
        ).all()
    index = {v: i for i, v in enumerate(vocab)}
    groups = [g for g in groups if g[0] in index]
    sizes = np.array([g[1] for g in groups], dtype=np.int64)
    code = np.repeat(np.array([index[g[0]] for g in groups], dtype=np.int64), sizes)
    inc_id = _ints(",".join(g[2] for g in groups))
    if len(inc_id) != len(code):
        raise RuntimeError(f"{link_table} could not be read")
    return vocab, inc_id, code


def _map_links(snap: Snapshot, raw: tuple[list[str], np.ndarray, np.ndarray]) -> Links:
    """Links with incident positions; links of incidents outside the snapshot and unknown values dropped."""
    vocab, inc_id, code = raw
    pos = snap.position(inc_id)
    keep = (pos >= 0) & (code < len(vocab))
    return Links(inc=pos[keep].astype(np.int32), code=code[keep].astype(np.int32), vocab=vocab)


def _positions(ids: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function from incident ids to their positions in ids (-1 when absent): a direct table for dense ids."""
    if len(ids) == 0:
        return lambda wanted: np.full(len(wanted), -1, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high <= max(4 * len(ids), 1_000_000):
        table = np.full(high + 1, -1, dtype=np.int32)
        table[ids] = np.arange(len(ids), dtype=np.int32)

        def direct(wanted: np.ndarray) -> np.ndarray:
            inside = (wanted >= 0) & (wanted <= high)
            return np.where(inside, table[np.where(inside, wanted, 0)], -1).astype(np.int64)

        return direct
    by_id = np.argsort(ids, kind="stable")
    sorted_ids = ids[by_id]

    def searched(wanted: np.ndarray) -> np.ndarray:
        slot = np.minimum(np.searchsorted(sorted_ids, wanted), len(ids) - 1)
        return np.where(sorted_ids[slot] == wanted, by_id[slot], -1).astype(np.int64)

    return searched
