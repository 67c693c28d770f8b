"""Deterministic synthetic demo data for both tracks, clearly labelled as synthetic wherever it is shown.

Everything is drawn from numpy's Generator seeded with --seed, in a fixed order, with vectorised operations,
so the same seed always gives the same rows and a million incidents take seconds. The frames come out in the
canonical shape of our upload templates (list cells as Python lists); `write_template_files` writes the files.

With events=True the incidents also carry attribution and response events (dashboard/ops/synthetic_events.py) in
the "attributions" and "responses" columns that real imports fill, each attributed incident's confidence derived from
its events by the rule of dashboard/ingest/attributions.py. `seed_database` asks for them and stores them through the
same writer as an import (dashboard/ingest/commit.py). Our template has no columns for events, so the upload files
(and the benchmark, which writes them) are generated without: building the events costs time and they would be lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from dashboard.ops.synthetic import END, SYNTHETIC_TAG, TRACKS
from dashboard.ops.synthetic_events import add_events, events_rng
from dashboard.ops.synthetic_incidents import generate_incidents
from dashboard.ops.synthetic_registers import generate_norms, generate_partnerships

__all__ = [
    "END",
    "SYNTHETIC_TAG",
    "TRACKS",
    "DemoData",
    "generate",
    "generate_incidents",
    "generate_norms",
    "generate_partnerships",
    "seed_database",
    "write_template_files",
]


@dataclass(frozen=True)
class DemoData:
    """Synthetic frames per layer, each with a `track` column."""

    incidents: pd.DataFrame
    norms: pd.DataFrame
    partnerships: pd.DataFrame


def generate(
    seed: int = 42, incidents: int = 2000, *, incident_tracks: Sequence[str] = TRACKS, events: bool = False
) -> DemoData:
    """All three layers for both tracks from one seed (incidents only in `incident_tracks`, by default both).

    events: give the incidents their attribution and response events, and the attributed incidents the confidence
    and attribution basis their events imply. The events are drawn from a generator of their own, so every other
    value is the same with and without them."""
    rng = np.random.default_rng(seed)
    frame = generate_incidents(incidents, rng, incident_tracks)
    return DemoData(
        incidents=add_events(frame, events_rng(seed)) if events else frame,
        norms=generate_norms(rng),
        partnerships=generate_partnerships(rng),
    )


def write_template_files(data: DemoData, out_dir: Path) -> dict[str, Path]:
    """Write the demo data as upload files in our template format: incidents.csv, norms.csv, partnerships.csv."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from dashboard.ingest.templates import to_template_frame

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for layer in ("incidents", "norms", "partnerships"):
        path = out_dir / f"{layer}.csv"
        table = pa.Table.from_pandas(to_template_frame(layer, getattr(data, layer)), preserve_index=False)
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        paths[layer] = path
    return paths


def seed_database(engine: Engine, seed: int = 42, incidents: int = 2000) -> list[int]:
    """Store the demo data as one synthetic dataset version per layer and track; returns the version ids. The
    incidents' attribution and response events are stored with them, as an import's are."""
    from dashboard.ingest.commit import VersionMeta, commit_version
    from dashboard.ingest.templates import to_template_frame

    data = generate(seed, incidents, events=True)
    version_ids = []
    for layer in ("incidents", "norms", "partnerships"):
        frame = getattr(data, layer)
        for track, part in frame.groupby("track", sort=True):
            digest = hashlib.sha256(to_template_frame(layer, part).to_csv(index=False).encode()).hexdigest()
            meta = VersionMeta(
                layer=layer,
                track_id=str(track),
                uploaded_by="demo-generator",
                file_name=f"synthetic-demo-seed-{seed}-{layer}.csv",
                sha256=digest,
                mode="seed",
                synthetic=True,
                note=f"Synthetic demo data generated with seed {seed}; not real events.",
            )
            version_ids.append(commit_version(engine, meta, part.drop(columns="track").reset_index(drop=True)))
    return version_ids
