"""Every read of the data layers. Each function takes a Viewer; track and TLP scope are applied to every read.

There is deliberately no function that reads rows without a viewer: scoping cannot be forgotten by a caller.
The scope rule is one definition (dashboard.read.scope); the incident reads compute on the columnar snapshot of the
current incidents (dashboard.read.snapshot), the other reads in SQL. This package face re-exports the reads.
"""

from __future__ import annotations

from dashboard.core.filters import IncidentFilter
from dashboard.read.cache import clear_cache, data_stamp
from dashboard.read.datasets import (
    active_versions,
    current_rows_for_diff,
    layer_counts,
    strictest_tlp,
    synthetic_share,
    track_countries,
    withheld_rows,
)
from dashboard.read.incident_events import incident_attributions, incident_responses, search_incidents
from dashboard.read.incidents import (
    dyad_counts,
    incident_counts_by_country,
    incident_counts_by_month,
    incident_counts_by_month_and,
    incident_counts_by_sector,
    incident_detail,
    incident_initiated_counts,
    incident_marking,
    incident_rows,
    incident_summary,
    latest_incident_date,
    sector_type_counts,
    window_counts,
)
from dashboard.read.norms import (
    incident_norm_counts,
    norm_marking,
    norm_round_shares,
    norm_rounds,
    norm_status_as_of,
)
from dashboard.read.partnerships import partnership_counts_by_country, partnership_rows
from dashboard.read.scope import scope_clause
from dashboard.read.sources import incident_source_hosts

__all__ = [
    "IncidentFilter",
    "active_versions",
    "clear_cache",
    "current_rows_for_diff",
    "data_stamp",
    "dyad_counts",
    "incident_attributions",
    "incident_counts_by_country",
    "incident_counts_by_month",
    "incident_counts_by_month_and",
    "incident_counts_by_sector",
    "incident_detail",
    "incident_initiated_counts",
    "incident_marking",
    "incident_norm_counts",
    "incident_responses",
    "incident_rows",
    "incident_source_hosts",
    "incident_summary",
    "latest_incident_date",
    "layer_counts",
    "norm_marking",
    "norm_round_shares",
    "norm_rounds",
    "norm_status_as_of",
    "partnership_counts_by_country",
    "partnership_rows",
    "scope_clause",
    "search_incidents",
    "sector_type_counts",
    "strictest_tlp",
    "synthetic_share",
    "track_countries",
    "window_counts",
    "withheld_rows",
]
