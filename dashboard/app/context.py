"""Process context of the app: settings, the shared engine, and scoped reads cached until the data changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine

from dashboard import read
from dashboard.core.access import Viewer
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.ops import bootstrap
from dashboard.store.db import get_engine

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings of this process (read once)."""
    return load_settings()


@st.cache_resource(show_spinner="Preparing the database…")
def engine() -> Engine:
    """The shared engine; on first use the schema is created or upgraded and, in demo mode, demo data seeded.

    Demo accounts exist only while demo mode is on and every stored dataset is synthetic: turning demo mode off, or
    storing real data, removes them at the next start (and auth.py refuses and signs them out at once).
    """
    cfg = settings()
    eng = get_engine(cfg.resolved_database_url)
    bootstrap.initialise(
        eng, seed_demo=cfg.demo_mode, seed=cfg.demo_seed, incidents=cfg.demo_incidents, demo_accounts=cfg.demo_mode
    )
    return eng


def _cache_ttl() -> int:
    try:
        return load_settings().cache_ttl_seconds
    except SettingsError:
        return 600


# `_fn` is not hashed (leading underscore): `name` stands for it in the cache key. `stamp` is unused in the body
# on purpose: it is part of the cache key, so a new dataset version is a cache miss.
@st.cache_data(ttl=_cache_ttl(), max_entries=512, show_spinner=False)
def _cached_call(_fn: Callable[..., Any], name: str, stamp: str, viewer: Viewer, args: tuple[Any, ...]) -> Any:
    return _fn(engine(), viewer, *args)


def cached(fn: Callable[..., T], viewer: Viewer, *args: Any) -> T:
    """Run a scoped read `fn(engine, viewer, *args)` for the viewer, cached per viewer and arguments.

    The cache key is the function's module and qualified name, the data stamp, the viewer and the arguments: a new
    dataset version is a cache miss.
    """
    stamp = read.data_stamp(engine())
    return _cached_call(fn, f"{fn.__module__}.{fn.__qualname__}", stamp, viewer, args)


def fetch(fn: Callable[..., T], viewer: Viewer, *args: Any) -> T:
    """Run a scoped read without caching its result: for downloads, which may hold every matching row."""
    return fn(engine(), viewer, *args)


def as_of_date(viewer: Viewer) -> dt.date:
    """The date views end on: today, or the newest visible incident if the data stops earlier."""
    latest = cached(read.latest_incident_date, viewer)
    today = dt.date.today()
    return min(today, latest) if latest else today
