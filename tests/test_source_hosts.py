"""Web sites cited by incidents (read.incident_source_hosts, the briefing's provenance) and the briefing's reads.

The narrow read must equal a direct count over the rows the viewer may see (every column read, hosts found by
urllib, as the export did before), for viewers with different scopes: tracks, TLP ceiling, AMBER+STRICT of the
own organisation only, rows of inactive versions and rows replaced by an append left out. SQLite always,
PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from urllib.parse import urlparse

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from dashboard import read
from dashboard.analysis import analytics
from dashboard.analysis.briefing import build_briefing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import IncidentFilter, ViewFilter
from dashboard.core.tlp import strictest_in
from dashboard.export import briefing as briefing_export
from dashboard.ingest.commit import VersionMeta, commit_version
from dashboard.read import snapshot as facts
from dashboard.read import sources
from dashboard.store.models import Incident
from tests import oracle
from tests.factories import incident

HOST = "Dialogue Secretariat"
EE, IP = "eastern-europe", "indo-pacific"
DAY = dt.date(2026, 6, 30)
VIEWERS = {
    "admin": local_admin(HOST),
    "official-ee-green": Viewer(
        name="o", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="green", organisation=HOST
    ),
    "coordinator-other": Viewer(
        name="c2", role=Role.COORDINATOR, tracks=frozenset({EE, IP}), tlp_ceiling="amber+strict", organisation="Org B"
    ),
    "partner-ip-amber": Viewer(
        name="p", role=Role.PARTNER, tracks=frozenset({IP}), tlp_ceiling="amber", organisation="Org B"
    ),
}
FILTERS = {
    "all": IncidentFilter(),
    "year": IncidentFilter(start=DAY - dt.timedelta(days=364), end=DAY),
    "ee-recent": IncidentFilter(tracks=frozenset({EE}), start=DAY - dt.timedelta(days=120), end=DAY),
    "empty": IncidentFilter(start=DAY + dt.timedelta(days=1)),
}
# Plain addresses and every kind urllib reads differently: case, www., user info, ports, IPv6, escapes in the JSON
# text, non-ASCII hosts, '; ' inside one value, padding, no scheme, not addresses at all, empty values.
URLS = [
    "https://example.org/a",
    "https://www.example.org/b",
    "https://EXAMPLE.org/c?q=1#f",
    "http://news.example:8080/story",
    "https://user:secret@intel.example/report",
    "https://[2001:db8::1]/advisory",
    "https://bücher.example/ä",
    'https://quote.example/say"hi"',
    "https://example.org/one; https://other.example/two",
    "  https://padded.example/x  ",
    "//schemeless.example/x",
    "not a web address",
    "",
    "https://www./odd",
    "https://cert.example/a\\b",
]


def direct_hosts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> list[tuple[str, int]]:
    """Every visible row read in SQL, hosts found per row by urllib: what the export computed before."""
    rows = oracle.incident_rows(engine, viewer, flt, None)
    hosts: Counter[str] = Counter()
    for cell in rows["source_urls"]:
        found = {urlparse(u.strip()).hostname or "" for u in str(cell).split("; ") if u.strip()}
        hosts.update(h.removeprefix("www.") for h in found if h)
    return sorted(hosts.items(), key=lambda kv: (-kv[1], kv[0]))


def as_list(frame: pd.DataFrame) -> list[tuple[str, int]]:
    assert list(frame.columns) == ["host", "incidents"]
    return list(zip(frame["host"].tolist(), frame["incidents"].tolist(), strict=True))


def _commit(engine: Engine, track: str, rows: list[dict], *, mode: str = "append", replaces=None) -> int:
    meta = VersionMeta(
        layer="incidents", track_id=track, uploaded_by="t", file_name="t.csv", sha256="0" * 64, mode=mode
    )
    return commit_version(engine, meta, pd.DataFrame(rows), replaces=replaces)


def _rows(rng: random.Random, n: int, prefix: str) -> list[dict]:
    rows = []
    for i in range(n):
        row = incident(
            f"{prefix}-{i}",
            tlp=rng.choice(["clear", "green", "amber", "amber+strict", "red"]),
            owner=rng.choice([HOST, "Org B"]),
            when=(DAY - dt.timedelta(days=rng.randrange(0, 700))).isoformat(),
        )
        row["source_urls"] = rng.sample(URLS, rng.randrange(0, 4)) if i % 3 else [f"https://site{i % 7}.example/{i}"]
        rows.append(row)
    return rows


@pytest.fixture
def cited(engine: Engine) -> Engine:
    """Incidents in two tracks with every TLP, two owners, an inactive version and rows replaced by an append."""
    rng = random.Random(5)
    _commit(engine, EE, _rows(rng, 40, "old"))
    _commit(engine, EE, _rows(rng, 90, "ee"), mode="replace")  # the first version becomes inactive
    _commit(engine, IP, _rows(rng, 70, "ip"))
    with engine.connect() as conn:
        ee = conn.scalars(select(Incident.id).where(Incident.track_id == EE).order_by(Incident.id.desc())).all()
    _commit(engine, EE, _rows(rng, 10, "new"), replaces=list(ee[:10]))
    facts.clear_cache()
    return engine


def test_source_hosts_equal_a_direct_count_for_each_viewer(cited: Engine) -> None:
    seen = {}
    for name, viewer in VIEWERS.items():
        for label, flt in FILTERS.items():
            got = as_list(read.incident_source_hosts(cited, viewer, flt))
            assert got == direct_hosts(cited, viewer, flt), f"{name}/{label}"
            seen[name, label] = got
    assert seen["admin", "empty"] == []
    # scoping matters: the viewers see different counts
    assert len({tuple(seen[name, "all"]) for name in VIEWERS}) == len(VIEWERS)
    hosts = dict(seen["admin", "all"])
    assert "example.org" in hosts and "www.example.org" not in hosts and "intel.example" in hosts
    assert "bücher.example" in hosts and "2001:db8::1" in hosts and "other.example" in hosts


def test_replaced_and_inactive_rows_cite_nothing(engine: Engine) -> None:
    old = incident("old")
    old["source_urls"] = ["https://gone.example/1"]
    _commit(engine, EE, [old])
    kept = incident("kept")
    kept["source_urls"] = ["https://kept.example/1"]
    _commit(engine, EE, [kept], mode="replace")
    with engine.connect() as conn:
        kept_id = conn.scalar(select(Incident.id).where(Incident.source_id == "kept"))
    newer = incident("newer")
    newer["source_urls"] = ["https://www.newer.example/1", "https://newer.example/2"]
    _commit(engine, EE, [newer], replaces=[kept_id])
    facts.clear_cache()
    for viewer in VIEWERS.values():
        got = as_list(read.incident_source_hosts(engine, viewer, IncidentFilter()))
        assert got == direct_hosts(engine, viewer, IncidentFilter())
    # as before: 'www.' is removed after the hosts of an incident are made distinct
    assert as_list(read.incident_source_hosts(engine, VIEWERS["admin"], IncidentFilter())) == [("newer.example", 2)]


@pytest.mark.parametrize("viewer", ["partner", "official"])
def test_briefing_sources_equal_a_direct_count_on_demo_data(demo_engine: Engine, viewer: str) -> None:
    who = {
        "partner": Viewer(
            name="partner-x", role=Role.PARTNER, tracks=frozenset({EE}), tlp_ceiling="green", organisation="x"
        ),
        "official": Viewer(
            name="o", role=Role.OFFICIAL, tracks=frozenset({EE, IP}), tlp_ceiling="amber", organisation=HOST
        ),
    }[viewer]
    as_of = dt.date(2026, 10, 31)
    view = ViewFilter(track="both", period="custom", start=as_of - dt.timedelta(days=364), end=as_of)
    brief = build_briefing(demo_engine, who, view, as_of)
    got = briefing_export._sources(demo_engine, who, view, brief)
    assert got
    assert got == direct_hosts(demo_engine, who, view.incident_filter(who, brief.period))
    assert all(isinstance(h, str) and type(n) is int for h, n in got)


def test_host_extraction_matches_urllib_on_odd_text() -> None:
    """Random values built from the awkward pieces, written as JSON three ways, give urllib's hosts."""
    pieces = ["https://", "HTTP://", "//", "a b://", "", "www.", "Example.ORG", "b.com", "u:p@", ":80", ":x", "/p",
              "?q", "#f", "; ", ";", " ", "\t", "é", "[::1]", "%25", "\u00a0", "\\", '"', "\x1f"]  # fmt: skip
    rng = random.Random(1)
    lists = [
        ["".join(rng.choice(pieces) for _ in range(rng.randrange(7))) for _ in range(rng.randrange(4))]
        for _ in range(3000)
    ]
    texts = [json.dumps(v) for v in lists] + [json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in lists]
    hosts: Counter[str] = Counter()
    for value in lists * 2:
        found = {urlparse(u.strip()).hostname or "" for u in "; ".join(value).split("; ") if u.strip()}
        hosts.update(h.removeprefix("www.") for h in found if h)
    expected = sorted(hosts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert as_list(sources._source_host_counts(texts)) == expected
    assert as_list(sources._source_host_counts(["null", "[]"])) == []
    assert as_list(sources._source_host_counts([])) == []


def test_briefing_reads_each_norm_round_once_with_the_same_figures(demo_engine: Engine, monkeypatch) -> None:
    viewer = VIEWERS["official-ee-green"]
    tracks = frozenset({EE})
    rounds = read.norm_rounds(demo_engine, viewer, tracks)
    assert len(rounds) >= 2
    days = [rounds[0] - dt.timedelta(days=1), rounds[0], rounds[1] + dt.timedelta(days=3), dt.date(2026, 10, 31)]
    calls = []
    original = read.norm_status_as_of
    monkeypatch.setattr(read, "norm_status_as_of", lambda *a, **k: calls.append(a[2]) or original(*a, **k))
    reads = []
    for as_of in days:
        for period in ("12m", "24m"):
            calls.clear()
            view = ViewFilter(track=EE, period=period)
            brief = build_briefing(demo_engine, viewer, view, as_of)
            assert len(calls) == len(set(calls)) <= 4
            reads.append(len(calls))
            p = brief.period
            status_now = original(demo_engine, viewer, p.end, tracks)
            status_before = original(demo_engine, viewer, p.previous.end, tracks)
            norms = next(h for h in brief.headlines if h.label == "Norms implemented")
            assert (norms.current, norms.previous) == (
                analytics.implemented_count(status_now),
                analytics.implemented_count(status_before),
            )
            last, prior = (
                original(demo_engine, viewer, rounds[-1], tracks),
                original(demo_engine, viewer, rounds[-2], tracks),
            )
            changes = analytics.norm_changes(prior, last)
            pd.testing.assert_frame_equal(
                brief.norm_downgrades.reset_index(drop=True),
                changes[changes["direction"] == "down"].reset_index(drop=True),
            )
            assert brief.norm_rounds == rounds
            for day in rounds[-2:]:
                assert brief.round_tlps[day] == strictest_in(original(demo_engine, viewer, day, tracks))
    assert min(reads) < 4, reads  # the status at the end of the period is a round's status read once
