"""Key developments: three to five sentences that open the briefing, each with its numbers and a link. Pure.

Built from what the briefing already computed (headline figures, country and sector movers, watchlist signals,
norm changes): no reads here, so a test can recompute every number from the read and analysis functions.
Names, never codes: countries by name, sectors by name; statistical detail (p-values, expected counts) stays in the
briefing's annex, the sentences say "5× the usual rate".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from dashboard.analysis.briefing import Briefing
from dashboard.analysis.watchlist import Signal
from dashboard.core.vocabulary import labels

MIN_SENTENCES = 3
MAX_SENTENCES = 5


@dataclass(frozen=True)
class Development:
    """One sentence of the Key developments: its text, the numbers in it (by name) and the view behind it."""

    kind: str  # headline | surge | hotline-gap | country-mover | sector-mover | norm-downgrades
    text: str
    numbers: dict[str, int | float] = field(default_factory=dict)
    link: str = ""
    key: str = ""  # what it is about, as the data names it: an ISO3 code, a sector id, "RUS>POL" ("" for totals)


def ratio_shown(ratio: float) -> float:
    """A rate ratio as the sentences say it: whole from 2× up, one decimal below."""
    return float(round(ratio)) if ratio >= 2 else round(ratio, 1)


def _times(ratio: float) -> str:
    return f"{ratio_shown(ratio):g}×"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


def _url(base_url: str, page: str, params: dict[str, str]) -> str:
    """The dashboard URL of a view: DASHBOARD_PUBLIC_URL in front when set, else a relative link."""
    path = f"/{page}?{urlencode(params)}" if params else f"/{page}"
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def _view_params(brief: Briefing, track: str) -> dict[str, str]:
    """The track (or "both") and the briefing's period as the filter bar's URL parameters."""
    return {
        "track": track,
        "period": "custom",
        "from": brief.period.start.isoformat(),
        "to": brief.period.end.isoformat(),
    }


def _signal_link(base_url: str, s: Signal, track: str) -> str:
    link = s.link or "/watchlist"
    if "track=" not in link:
        link += ("&" if "?" in link else "?") + urlencode({"track": track})
    return f"{base_url.rstrip('/')}{link}" if base_url else link


def _headline(brief: Briefing, track: str, base_url: str) -> Development | None:
    by_label = {h.label: h for h in brief.headlines}
    h, sig = by_label.get("Incidents"), by_label.get("Significant incidents")
    if h is None or (h.current == 0 and not h.previous):
        return None
    days = brief.period.days
    previous = h.previous or 0
    trend = "as many as" if h.current == previous else "up from" if h.current > previous else "down from"
    text = (
        f"{_plural(h.current, 'incident')} in the last {days:,} days, {trend} {previous:,} in the {days:,} days before"
    )
    numbers: dict[str, int | float] = {"incidents": h.current, "previous": previous, "days": days}
    if sig is not None:
        text += f"; {sig.current:,} of them significant (severity 3 or above)"
        numbers["significant"] = sig.current
    return Development("headline", text + ".", numbers, _url(base_url, "incidents", _view_params(brief, track)))


def _surge(s: Signal, recent_days: int, track: str, base_url: str) -> Development:
    recent = int(s.figures.get("recent", 0))
    ratio = float(s.figures.get("rate_ratio", 0.0))
    params = parse_qs(urlsplit(s.link).query)
    if "→" in s.subject:
        source, target = (part.strip() for part in s.subject.split("→", 1))
        what = f"Incidents attributed to {source} against {target}"
        ids = {name: iso3 for iso3, name in labels("countries.csv", key="iso3").items()}
        key = f"{ids.get(source, '')}>{ids.get(target, '')}"
    elif "sectors" in params:
        what = f"Incidents in the {s.subject} sector"
        key = params["sectors"][0]
    else:
        what = f"Incidents against {s.subject}"
        key = params.get("countries", [""])[0]
    text = f"{what} rose to {recent:,} in the last {recent_days:,} days, {_times(ratio)} the usual rate."
    numbers = {"recent": recent, "rate_ratio": ratio_shown(ratio), "days": recent_days}
    return Development("surge", text, numbers, _signal_link(base_url, s, track), key)


def _gap(s: Signal, track: str, base_url: str) -> Development:
    count = int(s.figures.get("incidents_12m", 0))
    text = f"{s.subject}: {_plural(count, 'incident')} in 12 months and no hotline or point-of-contact link."
    pair = parse_qs(urlsplit(s.link).query).get("countries", [""])[0].replace(",", ">")
    return Development("hotline-gap", text, {"incidents_12m": count}, _signal_link(base_url, s, track), pair)


def _mover(brief: Briefing, by: str, track: str, base_url: str, named: set[str]) -> Development | None:
    frame = brief.country_movers if by == "country" else brief.sector_movers
    if frame.empty:
        return None
    if by == "country":
        ids = {name: iso3 for iso3, name in labels("countries.csv", key="iso3").items()}
        key, name_of, param = "name", None, "countries"
    else:
        key, name_of, param = "sector_id", labels("sectors.csv"), "sectors"
        ids = None
    for rank, r in enumerate(frame.itertuples()):
        value = getattr(r, key)
        name = name_of.get(value, value) if name_of else str(value)
        if name in named:
            continue
        code = ids.get(name, "") if ids is not None else value
        where = f"against {name}" if by == "country" else f"in the {name} sector"
        direction = "rose" if r.change > 0 else "fell"
        largest = f"the largest change of any {by}" if rank == 0 else f"among the largest changes of any {by}"
        text = (
            f"Incidents {where} {direction} to {int(r.current):,} from {int(r.previous):,} in the previous period, "
            f"{largest}."
        )
        params = _view_params(brief, track) | ({param: code} if code else {})
        numbers = {"current": int(r.current), "previous": int(r.previous)}
        return Development(f"{by}-mover", text, numbers, _url(base_url, "incidents", params), str(code))
    return None


def _downgrades(brief: Briefing, track: str, base_url: str) -> Development | None:
    down = brief.norm_downgrades
    if down.empty:
        return None
    items, states = len(down), int(down["country"].nunique())
    text = (
        f"{_plural(items, 'norm or CBM assessment')} moved back in {_plural(states, 'state')} "
        "since the previous assessment round."
    )
    params = {"track": track}
    return Development("norm-downgrades", text, {"items": items, "states": states}, _url(base_url, "norms", params))


def key_developments(
    brief: Briefing, signals: list[Signal], *, track: str, recent_days: int, base_url: str = ""
) -> list[Development]:
    """At most MAX_SENTENCES sentences, most telling first: the incident total, the strongest surges, the largest
    dyad without a hotline, the largest country and sector changes, norm items moved back.

    track: a track id or "both" (for the links); recent_days: the watchlist's surge window; base_url:
    DASHBOARD_PUBLIC_URL ("" gives relative links).
    """
    out: list[Development | None] = [_headline(brief, track, base_url)]
    surges = [s for s in signals if s.kind == "surge"][:2]
    out += [_surge(s, recent_days, track, base_url) for s in surges]
    gaps = [s for s in signals if s.kind == "hotline-gap"]
    if gaps:
        out.append(_gap(max(gaps, key=lambda s: (s.figures.get("incidents_12m", 0), s.subject)), track, base_url))
    named = {s.subject for s in surges}
    out.append(_mover(brief, "country", track, base_url, named))
    out.append(_mover(brief, "sector", track, base_url, named))
    out.append(_downgrades(brief, track, base_url))
    return [d for d in out if d is not None][:MAX_SENTENCES]
