"""The HTML briefing: one self-contained file (plotly.js and the world topology inline) that opens offline."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any, Unpack

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from sqlalchemy import Engine

import dashboard.export.briefing.text as txt
from dashboard.core.access import Viewer
from dashboard.export.briefing.content import BriefingContent, BriefingOptions, collect
from dashboard.present import maps
from dashboard.present.palette import TLP_COLOURS

HTML_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font-family: "Source Sans Pro", "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1F1F1F;
       background: #FFFFFF; line-height: 1.4; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 24px 24px; }
.tlp { background: #000000; padding: 6px 24px; display: flex; justify-content: space-between; align-items: center; }
.tlp .label { font: 700 16px/1.2 "DejaVu Sans Mono", monospace; }
.tlp .note { color: #FFFFFF; font-size: 13px; }
h1 { font-size: 28px; margin: 16px 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid #D9D9D9; padding-bottom: 4px; }
.meta { color: #4D4D4D; font-size: 14px; margin: 2px 0; }
.synthetic { border: 2px solid #D55E00; background: #FFF1D6; color: #5A2E00; font-weight: 700; padding: 8px 12px;
             margin: 12px 0; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0; }
th, td { border-bottom: 1px solid #E5E5E5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #EEEEEE; border-bottom: 1px solid #4D4D4D; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.small { font-size: 13px; color: #4D4D4D; }
.chart { width: 100%; }
ul.key { font-size: 16px; padding-left: 22px; } ul.key li { margin: 4px 0; }
@media print { .chart { break-inside: avoid; } h2 { break-after: avoid; } }
"""
# The page may load nothing from anywhere: every script, style and the world topology are inline.
HTML_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _p(text: object, cls: str = "") -> str:
    """A paragraph of escaped text, with a class if given."""
    return f'<p class="{cls}">{_h(text)}</p>' if cls else f"<p>{_h(text)}</p>"


def _html_table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    def cls(i: int) -> str:
        """The class attribute of a numeric column's cells."""
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{_h(v)}</th>" for i, v in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_h(v)}</td>" for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def _chart_html(fig: go.Figure, div_id: str) -> str:
    config = {**maps.PLOTLY_CONFIG, "topojsonURL": "./", "displaylogo": False, "responsive": True}
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=config, div_id=div_id, default_width="100%")


def _banner(c: BriefingContent, where: str) -> str:
    """The black TLP bar at the top or bottom of the page."""
    label = _h(c.marking_label)
    return (
        f'<div class="tlp {where}" role="note" aria-label="{label}"><span class="note">'
        f"Cyber Dialogue Dashboard · track briefing · {_h(c.track_label)} · as of {_h(c.as_of.isoformat())}</span>"
        f'<span class="label" style="color:{TLP_COLOURS[c.marking]}">{label}</span></div>'
    )


def _overview(c: BriefingContent) -> list[str]:
    """Title, period, recipient and marking, the headline figures, the map and the trend."""
    parts = [
        f"<h1>Track briefing: {_h(c.track_label)}</h1>",
        _p(txt.period_line(c), "meta"),
        f'<p class="meta">{_h(txt.prepared_for(c))} · {_h(txt.generated_line(c))}</p>',
        _p(txt.marking_note(c), "meta"),
    ]
    if c.synthetic:
        parts.append(_p(txt.SYNTHETIC_NOTE, "synthetic"))
    if c.brief.empty:
        parts.append(_p(txt.NO_DATA))
    if c.developments:
        items = "".join(f'<li>{_h(d.text)} <a href="{_h(d.link)}">view</a></li>' for d in c.developments)
        parts.append(f'<h2>Key developments</h2>\n<ul class="key">{items}</ul>')
    parts.append("<h2>Headline figures</h2>")
    parts.append(_html_table(txt.HEADLINE_HEADER, txt.headline_rows(c), (1, 2, 3)))
    parts += [_p(line, "small") for line in txt.mover_lines(c)]
    parts.append(_p(txt.events_line(c), "small"))
    parts.append("<h2>Incidents by target country</h2>")
    parts.append(f'<div class="chart">{_chart_html(c.figures["map"], "briefing-map")}</div>')
    parts.append("<h2>Incidents per month by type</h2>")
    parts.append(f'<div class="chart">{_chart_html(c.figures["trend"], "briefing-trend")}</div>')
    return parts


def _watch_and_norms(c: BriefingContent) -> list[str]:
    """The watchlist, norm implementation and the states that moved back."""
    parts = ["<h2>Watchlist: what to look at</h2>"]
    shown = c.shown_signals
    if shown:
        parts.append(_html_table(txt.SIGNAL_HEADER, txt.signal_rows(shown), (0,)))
        if len(c.signals) > len(shown):
            parts.append(_p(txt.more_line(len(c.signals), len(shown), "signal", "on the Watchlist page"), "small"))
    else:
        parts.append(_p(txt.NO_SIGNALS))
    parts.append("<h2>Norms and confidence-building measures</h2>")
    parts += [_p(line) for line in txt.norm_lines(c)]
    downs = txt.downgrade_rows(c)
    if downs:
        parts.append(_p(txt.downgrade_intro(c)))
        parts.append(_html_table(txt.DOWNGRADE_HEADER, downs, (2,)))
    elif not c.brief.norm_shares.empty:
        parts.append(_p(txt.NO_DOWNGRADES))
    return parts


def _partners_and_provenance(c: BriefingContent) -> list[str]:
    """Partnerships, stale hotlines, dataset versions, sources and method notes."""
    parts = ["<h2>Partnerships and hotlines</h2>", _p(txt.partnership_line(c))]
    stale = txt.stale_rows(c)
    if stale:
        parts.append(_p(txt.stale_intro(c)))
        parts.append(_html_table(txt.STALE_HEADER, stale, (3,)))
    else:
        parts.append(_p(txt.ALL_TESTED))
    parts.append("<h2>Provenance</h2>")
    header, versions = txt.version_rows(c)
    parts.append(_p(txt.versions_intro(len(versions))))
    if versions:
        parts.append(_html_table(header, versions))
    parts.append(_p(txt.sources_line(c.sources, len(c.sources))))
    parts += [f'<p class="small">{_h(name)}: {_h(source)}.</p>' for name, source in c.frameworks]
    parts += [_p(line, "small") for line in txt.method_notes(c)]
    parts.append(_p(txt.generated_line(c), "small"))
    if c.synthetic:
        parts.append(_p(txt.SYNTHETIC_NOTE, "small"))
    parts.append(f"<h2>{_h(txt.ANNEX_TITLE)}</h2>")
    rows = txt.annex_rows(c.shown_signals)
    if rows:
        parts.append(_html_table(txt.ANNEX_HEADER, rows, (2, 3, 4, 5, 6)))
    parts += [_p(line, "small") for line in txt.annex_notes(c)]
    return parts


def html_from_content(c: BriefingContent) -> bytes:
    """One self-contained HTML document: plotly.js, the world topology and every chart inline; text escaped."""
    parts = [*_overview(c), *_watch_and_norms(c), *_partners_and_provenance(c)]
    topology = json.loads(maps.TOPOJSON_FILE.read_text(encoding="utf-8"))
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(txt.document_title(c))}</title>\n<style>{HTML_STYLE}</style>\n"
        # plotly.js looks here before it fetches <topojsonURL>world_110m.json, so the map needs no request.
        f"<script>window.PlotlyGeoAssets={{topojson:{{world_110m:{_script_json(topology)}}}}};</script>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n<body>\n"
        f"{_banner(c, 'top')}\n<main>\n" + "\n".join(parts) + f"\n</main>\n{_banner(c, 'bottom')}\n</body>\n</html>\n"
    )
    return document.encode("utf-8")


def render_html(engine: Engine, viewer: Viewer, **options: Unpack[BriefingOptions]) -> bytes:
    """The briefing as one HTML file with interactive charts that opens offline; TLP marking at top and bottom."""
    return html_from_content(collect(engine, viewer, **options))
