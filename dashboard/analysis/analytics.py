"""Trends, period deltas, movers, norm changes and hotline ages: pure pandas on aggregated frames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

STATUS_ORDER = {"not_started": 0, "in_progress": 1, "implemented": 2}


@dataclass(frozen=True)
class Delta:
    """A figure now and in the previous period."""

    current: float
    previous: float

    @property
    def change(self) -> float:
        """Absolute change."""
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Relative change in percent; None when the previous value is zero."""
        return None if self.previous == 0 else 100.0 * self.change / self.previous

    def label(self) -> str:
        """Change for a metric: '+12 (+8%)', '-3', or '±0'."""
        if self.change == 0:
            return "±0"
        text = f"{self.change:+,.0f}"
        return f"{text} ({self.percent:+.0f}%)" if self.percent is not None else text


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """Every 'YYYY-MM' from start to end inclusive."""
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def complete_months(monthly: pd.DataFrame, start: dt.date, end: dt.date, key: str | None = None) -> pd.DataFrame:
    """Fill months (and keys) without incidents with zeros so trends do not skip gaps."""
    months = months_between(start, end)
    if key is None:
        out = monthly.set_index("month").reindex(months, fill_value=0).rename_axis("month").reset_index()
        return out.astype({"incidents": int})
    keys = sorted(monthly[key].unique()) if not monthly.empty else []
    index = pd.MultiIndex.from_product([months, keys], names=["month", key])
    out = monthly.set_index(["month", key]).reindex(index, fill_value=0).reset_index()
    return out.astype({"incidents": int})


def rolling_mean(monthly_total: pd.Series, window: int = 3) -> pd.Series:
    """Trailing mean over `window` months (shorter at the start)."""
    return monthly_total.rolling(window, min_periods=1).mean()


def movers(
    current: pd.DataFrame, previous: pd.DataFrame, key: str, value: str = "incidents", top: int = 5
) -> pd.DataFrame:
    """Keys with the largest absolute change between periods: key, current, previous, change (largest first)."""
    merged = (
        current[[key, value]]
        .rename(columns={value: "current"})
        .merge(previous[[key, value]].rename(columns={value: "previous"}), on=key, how="outer")
        .fillna({"current": 0, "previous": 0})
    )
    merged = merged.astype({"current": int, "previous": int})
    merged["change"] = merged["current"] - merged["previous"]
    merged = merged[merged["change"] != 0]
    merged["abs"] = merged["change"].abs()
    return (
        merged.sort_values(["abs", key], ascending=[False, True]).drop(columns="abs").head(top).reset_index(drop=True)
    )


def implemented_count(status: pd.DataFrame) -> int:
    """Number of (country, item) pairs whose latest status is implemented."""
    return int((status["status"] == "implemented").sum()) if not status.empty else 0


def norm_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Status changes between two rounds: iso3, country, item_id, code, before, after, direction (up/down/other)."""
    keys = ["iso3", "item_id"]
    merged = current.merge(previous[[*keys, "status"]].rename(columns={"status": "before"}), on=keys, how="inner")
    merged = merged.rename(columns={"status": "after"})
    merged = merged[merged["before"] != merged["after"]].copy()
    before = merged["before"].map(STATUS_ORDER)
    after = merged["after"].map(STATUS_ORDER)
    merged["direction"] = "other"
    merged.loc[after > before, "direction"] = "up"
    merged.loc[after < before, "direction"] = "down"
    cols = ["iso3", "country", "item_id", "code", "framework_id", "before", "after", "direction", "evidence_url"]
    return merged[cols].sort_values(["direction", "country", "item_id"]).reset_index(drop=True)


def latest_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """Share of items implemented per country in its latest round, across frameworks: iso3, country, share."""
    if shares.empty:
        return pd.DataFrame(columns=["iso3", "country", "implemented", "assessed", "share", "assessed_on"])
    latest = shares[shares["assessed_on"] == shares.groupby("iso3")["assessed_on"].transform("max")]
    out = latest.groupby(["iso3", "country"], as_index=False).agg(
        implemented=("implemented", "sum"), assessed=("assessed", "sum"), assessed_on=("assessed_on", "max")
    )
    out["share"] = (out["implemented"] / out["assessed"].where(out["assessed"] > 0)).fillna(0.0)
    return out


def trajectory(shares: pd.DataFrame) -> pd.DataFrame:
    """Share implemented per country per round across frameworks: country, round, share."""
    if shares.empty:
        return pd.DataFrame(columns=["country", "round", "share"])
    out = shares.groupby(["country", "assessed_on"], as_index=False)[["implemented", "assessed"]].sum()
    out["share"] = (out["implemented"] / out["assessed"].where(out["assessed"] > 0)).fillna(0.0)
    out["round"] = out["assessed_on"].astype(str)
    return out[["country", "round", "share"]]


def hotline_ages(partnerships: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Hotlines with their two states and days since last tested: name, iso3_a, iso3_b, status, last_tested, days."""
    columns = ["name", "iso3_a", "iso3_b", "status", "last_tested", "days", "tlp"]
    hot = partnerships[partnerships["kind"] == "hotline"].copy()
    if hot.empty:
        return pd.DataFrame(columns=columns)
    pairs = hot["countries"].astype(str).str.split("; ")
    hot = hot[pairs.map(len) == 2].copy()
    pairs = hot["countries"].astype(str).str.split("; ")
    hot["iso3_a"] = pairs.str[0]
    hot["iso3_b"] = pairs.str[1]
    tested = pd.to_datetime(hot["last_tested"])
    hot["days"] = (pd.Timestamp(as_of) - tested).dt.days
    return hot[columns].reset_index(drop=True)


def active_on(partnerships: pd.DataFrame, day: dt.date) -> int:
    """Partnerships running on the day: started by then, not ended before, and not planned or suspended now."""
    if partnerships.empty:
        return 0
    start = pd.to_datetime(partnerships["start_date"])
    end = pd.to_datetime(partnerships["end_date"])
    running = (start.isna() | (start <= pd.Timestamp(day))) & (end.isna() | (end >= pd.Timestamp(day)))
    return int((running & partnerships["status"].isin(["active", "ended"])).sum())


def hotlines_tested_within(hotlines: pd.DataFrame, day: dt.date, days: int = 365) -> int:
    """Hotlines last tested in the `days` before the day (and not after it)."""
    if hotlines.empty:
        return 0
    tested = pd.to_datetime(hotlines["last_tested"])
    low = pd.Timestamp(day - dt.timedelta(days=days))
    return int(((tested > low) & (tested <= pd.Timestamp(day))).sum())


def first_month(monthly: pd.DataFrame, end: dt.date) -> dt.date:
    """First day of the earliest month in a monthly frame ('all time' trends start there, not in 2000)."""
    if monthly.empty:
        return end.replace(day=1)
    return dt.date.fromisoformat(str(monthly["month"].min()) + "-01")
