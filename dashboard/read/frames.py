"""Small helpers shared by the reads: query results and counts as data frames."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select


def read_frame(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of a statement as a data frame with the given column names."""
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=list(columns))


def text_column(values: list[str], index: pd.Index) -> pd.Series:
    """A text column that stays text when empty (an empty list would become float64)."""
    return pd.Series(values, index=index, dtype=object)


def int_frame(data: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The frame with the columns as int64 and a fresh index."""
    return data.astype(dict.fromkeys(columns, "int64")).reset_index(drop=True)


def code_counts(codes: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Occurrences (or summed weights) of each code below size."""
    return np.bincount(codes, weights=weights, minlength=size)[:size].astype(np.int64)
