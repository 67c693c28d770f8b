"""The data stamp (which dataset versions are active) and the reads kept per database and data stamp."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from dashboard.read import snapshot as facts

_PER_STAMP: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_PER_STAMP_LOCK = threading.Lock()


def data_stamp(engine: Engine) -> str:
    """A fingerprint of which dataset versions are active (and the newest id); cache keys include it."""
    with engine.connect() as conn:
        return facts.stamp_of(conn)


def clear_cache() -> None:
    """Forget the reads kept per data stamp (the benchmark's cold runs; a data change makes new keys anyway)."""
    with _PER_STAMP_LOCK:
        _PER_STAMP.clear()


def per_stamp(engine: Engine, key: tuple, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A read of all the viewer's tracks, kept per database and data stamp (the last 64); callers narrow it to the
    tracks and countries asked for, so that switching the track filter reads nothing again. Never mutate it."""
    key = (engine.url.render_as_string(), data_stamp(engine), *key)
    with _PER_STAMP_LOCK:
        result = _PER_STAMP.get(key)
        if result is not None:
            _PER_STAMP.move_to_end(key)
            return result
    result = read()
    with _PER_STAMP_LOCK:
        _PER_STAMP[key] = result
        while len(_PER_STAMP) > 64:
            _PER_STAMP.popitem(last=False)
    return result
