"""Padding rows: rows of an export that hold no record (a preset says which), skipped and reported as such.

They are taken out before validation and put back into the report at level PADDING with their own row numbers,
so every other issue keeps the row number of the file (the header is row 1)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dashboard.ingest.issues import Issue, Validated

PADDING = "padding"  # the level of a row that holds no record: skipped, counted, never an error


def drop(frame: pd.DataFrame, mask: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray | None, list[int]]:
    """The frame without the masked rows, the file row numbers of the rows kept, and those of the rows dropped."""
    if mask is None or not mask.any():
        return frame, None, []
    numbers = np.arange(len(frame), dtype=np.int64) + 2
    return frame.loc[~mask].reset_index(drop=True), numbers[~mask], numbers[mask].tolist()


def restore(checked: Validated, kept: np.ndarray | None, dropped: list[int]) -> Validated:
    """The check of the kept rows with the file's row numbers, and one PADDING line per dropped row."""
    if kept is None:
        return checked
    rows = checked.rows.copy()
    if len(rows):
        rows["row"] = kept[rows["row"].to_numpy(dtype=np.int64) - 2]
    issues = [dataclasses.replace(i, row=int(kept[i.row - 2])) if i.row >= 2 else i for i in checked.issues]
    issues += [
        Issue(n, "", "", "padding row (holds no incident: every code is 0 or blank): skipped", PADDING) for n in dropped
    ]
    return dataclasses.replace(checked, rows=rows, issues=issues, rows_total=checked.rows_total + len(dropped))
