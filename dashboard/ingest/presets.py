"""Column presets: our templates and the public trackers' exports, recognised from their headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.ingest import dcid
from dashboard.ingest.templates import TEMPLATES, column_names
from dashboard.ingest.value_tables import ValueTables


@dataclass(frozen=True)
class Preset:
    """How a known export maps onto our fields: canonical field -> source column(s)."""

    name: str
    label: str
    layer: str
    signature: frozenset[str]  # all of these headers present: it is this export
    mapping: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_style: str = "iso"  # how slashed dates are read: us (M/D/YYYY) or dmy (D/M/YYYY)
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # adds computed columns the mapping names
    padding: Callable[[pd.DataFrame], np.ndarray] | None = None  # rows that hold no record: skipped, reported
    values: Callable[[], ValueTables] | None = None  # value tables: source codes -> our ids, per field


def _template(layer: str) -> Preset:
    required = frozenset(c.name for c in TEMPLATES[layer] if c.required)
    return Preset(
        name="template",
        label=f"Our {layer} template",
        layer=layer,
        signature=required,
        mapping={c: (c,) for c in column_names(layer)},
    )


EUREPOC = Preset(
    name="eurepoc",
    label="EuRepoC (European Repository of Cyber Incidents) export",
    layer="incidents",
    signature=frozenset({"ID", "name", "start_date", "receiver_country", "initiator_country", "incident_type"}),
    mapping={
        "source_id": ("ID",),
        "title": ("name",),
        "description": ("description",),
        "start_date": ("start_date",),
        "end_date": ("end_date",),
        "incident_type": ("incident_type",),
        "target_countries": ("receiver_country",),
        "initiator_countries": ("initiator_country",),
        "initiator_name": ("initiator_name",),
        "initiator_category": ("initiator_category",),
        "sectors": ("receiver_category_subcode", "receiver_category"),
        "severity": ("weighted_cyber_intensity",),
        "attribution_basis": ("attribution_basis",),
        "source_urls": ("sources_url",),
    },
    date_style="dmy",
)

CFR = Preset(
    name="cfr",
    label="CFR Cyber Operations Tracker export",
    layer="incidents",
    signature=frozenset({"Title", "Date", "Victims", "Sponsor", "Type"}),
    mapping={
        # CFR has no id column: the title is the id (cut to 120 characters, the date added where two records share
        # a title), so one record uploaded into two tracks is recognised as one (dashboard.ingest.validate).
        "source_id": ("Title",),
        "title": ("Title",),
        "description": ("Description",),
        "start_date": ("Date",),
        "incident_type": ("Type",),
        "target_countries": ("Victims",),
        "initiator_countries": ("Sponsor",),
        "initiator_name": ("Affiliations",),
        "sectors": ("Category",),
        # "Response" (Denouncement, Sanctions, ... and a link) is what states did next, not how the operation was
        # attributed: it stays in the incident's source values until responses are stored as events of their own.
        "source_urls": ("Sources_1", "Sources_2", "Sources_3"),
    },
    date_style="us",
)

DCID = Preset(
    name="dcid",
    label="DCID 2.0 (Dyadic Cyber Incident and Campaign Dataset)",
    layer="incidents",
    signature=frozenset({"Cyberincidentnum", "Dyadpair", "StateA", "StateB", "initiator"}),
    mapping={
        "source_id": (dcid.KEY,),
        "title": ("Name",),
        "description": ("Political Objective",),
        "start_date": ("interactionstartdate",),
        "end_date": ("interactionenddate",),
        "incident_type": (dcid.TYPE_CODE,),
        "target_countries": (dcid.TARGET,),  # the other state of the dyad (the update sheet's `target` is kept)
        "initiator_countries": ("initiator",),
        "sectors": ("targettype",),
        "severity": ("severity",),
        "source_urls": ("Sources1", "Sources2", "Sources3", "Sources4", "Sources5"),
    },
    derive=dcid.derive,
    padding=dcid.padding,
    values=dcid.value_tables,
)

PRESETS: dict[str, Preset] = {"eurepoc": EUREPOC, "cfr": CFR, "dcid": DCID}


def template(layer: str) -> Preset:
    """Our own template for a layer."""
    return _template(layer)


def detect(columns: list[str], layer: str) -> tuple[Preset | None, str]:
    """The preset whose headers the file has, for this layer; or None and a message saying what is missing/wrong."""
    present = set(columns)
    for preset in PRESETS.values():
        if preset.signature <= present:
            if preset.layer != layer:
                return None, f"This is a {preset.label}, which holds {preset.layer}, not {layer}."
            return preset, ""
    for other in ("incidents", "norms", "partnerships"):
        tpl = _template(other)
        if tpl.signature <= present:
            if other != layer:
                return (
                    None,
                    f"This file has the columns of our {other} template, not of the {layer} template. "
                    f"Choose the {other} layer, or upload the right file.",
                )
            return tpl, ""
    missing = sorted(_template(layer).signature - present)
    return None, (
        f"The columns were not recognised as our {layer} template, an EuRepoC export, a CFR tracker "
        f"export or DCID 2.0. Missing for the template: {', '.join(missing)}."
    )
