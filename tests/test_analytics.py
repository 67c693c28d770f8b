"""Analytics on constructed frames where the right answer is known."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analysis import analytics
from dashboard.analysis.analytics import Delta
from dashboard.core.periods import Period


def test_previous_period_has_equal_length_and_ends_the_day_before() -> None:
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period.days == 90
    assert period.previous == Period(dt.date(2025, 10, 3), dt.date(2025, 12, 31))
    assert period.previous.days == 90


def test_delta_labels() -> None:
    assert Delta(120, 100).label() == "+20 (+20%)"
    assert Delta(5, 10).label() == "-5 (-50%)"
    assert Delta(3, 0).label() == "+3" and Delta(3, 0).percent is None
    assert Delta(7, 7).label() == "±0"


def test_movers_rank_by_absolute_change_and_include_newcomers_and_leavers() -> None:
    now = pd.DataFrame({"name": ["A", "B", "C"], "incidents": [10, 3, 8]})
    before = pd.DataFrame({"name": ["A", "B", "D"], "incidents": [4, 3, 9]})
    out = analytics.movers(now, before, "name", top=5)
    assert out.to_dict("list") == {
        "name": ["D", "C", "A"],
        "current": [0, 8, 10],
        "previous": [9, 0, 4],
        "change": [-9, 8, 6],
    }


def test_complete_months_fills_gaps_with_zeros() -> None:
    monthly = pd.DataFrame({"month": ["2026-01", "2026-03"], "type": ["espionage", "espionage"], "incidents": [2, 5]})
    out = analytics.complete_months(monthly, dt.date(2025, 12, 15), dt.date(2026, 3, 2), key="type")
    assert out["month"].tolist() == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert out["incidents"].tolist() == [0, 2, 0, 5]
    totals = analytics.complete_months(monthly.drop(columns="type"), dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert totals["incidents"].tolist() == [2, 0]


def test_rolling_mean_is_trailing() -> None:
    assert analytics.rolling_mean(pd.Series([3, 6, 9, 0]), 3).tolist() == [3.0, 4.5, 6.0, 5.0]


def _status(rows):
    return pd.DataFrame(rows, columns=["iso3", "country", "item_id", "code", "framework_id", "status", "evidence_url"])


def test_norm_changes_find_forward_and_backward_moves() -> None:
    before = _status(
        [
            ("EST", "Estonia", "un-norms:a", "a", "un-norms", "in_progress", ""),
            ("EST", "Estonia", "un-norms:b", "b", "un-norms", "implemented", ""),
            ("LVA", "Latvia", "un-norms:a", "a", "un-norms", "not_started", ""),
        ]
    )
    after = _status(
        [
            ("EST", "Estonia", "un-norms:a", "a", "un-norms", "implemented", "u1"),
            ("EST", "Estonia", "un-norms:b", "b", "un-norms", "in_progress", "u2"),
            ("LVA", "Latvia", "un-norms:a", "a", "un-norms", "not_started", "u3"),
        ]
    )
    changes = analytics.norm_changes(before, after)
    assert changes[["iso3", "item_id", "before", "after", "direction"]].values.tolist() == [
        ["EST", "un-norms:b", "implemented", "in_progress", "down"],
        ["EST", "un-norms:a", "in_progress", "implemented", "up"],
    ]
    assert analytics.implemented_count(after) == 1


def test_latest_shares_use_each_country_latest_round_across_frameworks() -> None:
    shares = pd.DataFrame(
        {
            "iso3": ["EST", "EST", "EST", "LVA"],
            "country": ["Estonia"] * 3 + ["Latvia"],
            "framework_id": ["un-norms", "osce-cbms", "un-norms", "un-norms"],
            "assessed_on": [dt.date(2026, 6, 30), dt.date(2026, 6, 30), dt.date(2025, 6, 30), dt.date(2025, 6, 30)],
            "implemented": [5, 4, 1, 2],
            "assessed": [10, 10, 10, 4],
        }
    )
    out = analytics.latest_shares(shares).set_index("iso3")
    assert out.loc["EST", "share"] == 0.45 and out.loc["LVA", "share"] == 0.5
    traj = analytics.trajectory(shares)
    assert traj[traj["country"] == "Estonia"]["share"].tolist() == [0.1, 0.45]


def test_hotline_ages_and_counts() -> None:
    rows = pd.DataFrame(
        {
            "name": ["A-B", "C-D", "E-F", "PoC"],
            "kind": ["hotline", "hotline", "hotline", "poc-network"],
            "countries": ["AAA; BBB", "CCC; DDD", "EEE; FFF", "AAA; BBB; CCC"],
            "status": ["active", "active", "suspended", "active"],
            "last_tested": [dt.date(2026, 10, 1), None, dt.date(2025, 1, 1), dt.date(2026, 1, 1)],
            "tlp": ["clear"] * 4,
        }
    )
    ages = analytics.hotline_ages(rows, dt.date(2026, 10, 31))
    assert ages["name"].tolist() == ["A-B", "C-D", "E-F"]
    assert ages["iso3_a"].tolist() == ["AAA", "CCC", "EEE"]
    assert ages["days"].tolist()[0] == 30 and pd.isna(ages["days"].tolist()[1])
    assert analytics.hotlines_tested_within(ages, dt.date(2026, 10, 31)) == 1


def test_active_on_a_day() -> None:
    rows = pd.DataFrame(
        {
            "start_date": [dt.date(2024, 1, 1), dt.date(2026, 12, 1), dt.date(2020, 1, 1), None],
            "end_date": [None, None, dt.date(2025, 1, 1), None],
            "status": ["active", "planned", "ended", "suspended"],
        }
    )
    assert analytics.active_on(rows, dt.date(2026, 6, 1)) == 1
    assert analytics.active_on(rows, dt.date(2024, 6, 1)) == 2
