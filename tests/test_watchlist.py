"""Watchlist signals on constructed data where the right answer is known."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard.analysis.watchlist import build_watchlist, poisson_upper_tail, surges
from dashboard.core.access import local_admin
from dashboard.core.settings import Thresholds
from tests.factories import incident, partnership, store, store_incidents

AS_OF = dt.date(2026, 10, 31)
ADMIN = local_admin("Dialogue Secretariat")
EE = frozenset({"eastern-europe"})


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_upper_tail(3, 3.0) == pytest.approx(0.5768, abs=1e-4)
    assert poisson_upper_tail(0, 5.0) == 1.0
    assert poisson_upper_tail(30, 2.0) < 1e-15
    assert poisson_upper_tail(1, 0.0) == 0.0


def test_surge_test_finds_a_planted_surge_and_nothing_in_a_flat_series() -> None:
    th = Thresholds(recent_days=90, baseline_days=720)
    counts = pd.DataFrame({"key": ["flat", "surge", "small"], "baseline": [80, 16, 0], "recent": [10, 14, 3]})
    found = surges(counts, th)
    assert found["key"].tolist() == ["surge"]
    assert found["rate_ratio"].iloc[0] == pytest.approx(14 / 2.0)


def _spread(prefix: str, start: dt.date, days: int, every: int, **kw) -> list[dict]:
    return [
        incident(f"{prefix}-{i}", when=(start + dt.timedelta(days=d)).isoformat(), **kw)
        for i, d in enumerate(range(0, days, every))
    ]


@pytest.fixture
def planted(engine: Engine) -> Engine:
    return plant(engine)


def plant(engine: Engine) -> Engine:
    """Incidents and partnerships of Eastern Europe with a known surge, hotline gap, stale hotline and lapse."""
    baseline_start = AS_OF - dt.timedelta(days=89 + 730)
    rows = _spread("flat-est", baseline_start, 820, 30, targets=("EST",), sectors=("health",))  # steady
    rows += _spread("base-pol", baseline_start, 730, 90, targets=("POL",), initiators=("RUS",))  # ~8 in 2 years
    rows += _spread("surge-pol", AS_OF - dt.timedelta(days=80), 80, 5, targets=("POL",), initiators=("RUS",))
    store_incidents(engine, "eastern-europe", rows)
    store(
        engine,
        "partnerships",
        "eastern-europe",
        [
            partnership("EST-LVA hotline", "hotline", ("EST", "LVA"), tested="2024-01-01"),
            partnership("Polish CERT project", "capacity-building", ("POL",), status="suspended"),
        ],
    )
    return engine


def test_watchlist_on_planted_data(planted: Engine) -> None:
    signals = build_watchlist(planted, ADMIN, EE, AS_OF)
    surges_found = [s for s in signals if s.kind == "surge"]
    assert {s.subject for s in surges_found} >= {"Poland", "Russia → Poland"}
    assert "Estonia" not in {s.subject for s in surges_found}  # a flat series raises nothing
    poland = next(s for s in surges_found if s.subject == "Poland")
    assert poland.figures["recent"] == 16 and poland.figures["p_value"] < 0.01
    assert "countries=POL" in poland.link and "Poland" in poland.explanation
    gaps = {s.subject for s in signals if s.kind == "hotline-gap"}
    assert "Russia – Poland" in gaps
    assert {s.subject for s in signals if s.kind == "stale-hotline"} == {"EST-LVA hotline"}
    assert {s.subject for s in signals if s.kind == "partnership-lapse"} == {"Polish CERT project"}
    assert [s.strength for s in signals] == sorted((s.strength for s in signals), reverse=True)


def test_watchlist_only_uses_visible_rows(planted: Engine) -> None:
    from dashboard.core.access import Role, Viewer

    other_track = Viewer(
        name="ip",
        role=Role.OFFICIAL,
        tracks=frozenset({"indo-pacific"}),
        tlp_ceiling="red",
        organisation="Dialogue Secretariat",
    )
    assert build_watchlist(planted, other_track, frozenset({"indo-pacific"}), AS_OF) == []
