"""The filters a session chose, remembered across its pages, and the rule that picks a page's starting filter.

A page starts from its URL when the URL names any filter (a link reproduces its view exactly: parameters left out
mean their defaults), else from what this session chose last on any page. Switching pages through the sidebar
clears the URL (`st.page_link` without query parameters), so the new page starts from the remembered filters and
writes them into its own URL. Remembered values are parsed and checked against the viewer on every page, like a
link's, and belong to the viewer who chose them; a page remembers only the filters it offers and keeps the others
for the pages that offer them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.core.access import Viewer
from dashboard.core.filters import ViewFilter, parse_query_params

MEMORY_KEY = "_filter_memory"
# The URL query parameters of each field of the filter bar (the track is on every filter bar).
FIELD_PARAMS: dict[str, tuple[str, ...]] = {
    "track": ("track",),
    "period": ("period", "from", "to"),
    "countries": ("countries",),
    "sectors": ("sectors",),
    "types": ("types",),
    "severity": ("severity",),
}
FILTER_PARAMS = frozenset(p for params in FIELD_PARAMS.values() for p in params)


def memory_for(viewer: Viewer, params: Mapping[str, Any]) -> dict[str, Any]:
    """What the session stores: the remembered filters as URL parameters, and the viewer who chose them."""
    return {"viewer": viewer, "params": dict(params)}


def remembered_params(viewer: Viewer) -> dict[str, Any]:
    """The filters this viewer chose last in this session, as URL parameters (not yet checked)."""
    memory = st.session_state.get(MEMORY_KEY)
    if not isinstance(memory, dict) or memory.get("viewer") != viewer:
        return {}  # nothing remembered, or chosen by someone else who used this browser session before
    return {k: v for k, v in dict(memory.get("params") or {}).items() if k in FILTER_PARAMS}


def starting_filter(viewer: Viewer, url_params: Mapping[str, Any]) -> ViewFilter:
    """The filter a page starts from: the URL's when it names any filter, else the remembered one.

    Both are checked against the viewer; only the URL's problems are warned about (a remembered value the viewer
    may not use is dropped silently: nobody asked for it on this page).
    """
    if FILTER_PARAMS & set(url_params):
        return parse_query_params(url_params, viewer)
    return replace(parse_query_params(remembered_params(viewer), viewer), warnings=())


def remember(viewer: Viewer, chosen: ViewFilter, fields: Sequence[str]) -> None:
    """Remember the filters this page offers as chosen; keep the remembered values of the others."""
    offered = {p for f in ("track", *fields) for p in FIELD_PARAMS.get(f, ())}
    params = {k: v for k, v in remembered_params(viewer).items() if k not in offered}
    params.update(chosen.to_query_params())  # the chosen filter holds only the fields this page offers
    memory = memory_for(viewer, params)
    if st.session_state.get(MEMORY_KEY) != memory:
        st.session_state[MEMORY_KEY] = memory
