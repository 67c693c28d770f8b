"""The web sites cited by the incidents a viewer may see, found in their source URLs with Arrow string functions."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, Text, cast, func, literal, select, type_coerce

from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.read.frames import int_frame
from dashboard.read.incidents import incident_conditions
from dashboard.store.models import Incident

# Separates the incidents' JSON texts in the packed read: JSON text never holds a raw control character.
_RECORD_SEPARATOR = "\x1e"
# A plain web address whose host urllib reads as the ASCII text after '//' (no user info, port digits only, no
# spaces or control characters anywhere); every other address is read by urllib itself.
_PLAIN_URL = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?P<host>[A-Za-z0-9._\-]*)(?::[0-9]*)?(?:[/?#][!-~]*)?$"


def incident_source_hosts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Web sites cited by the visible filtered incidents: host (without 'www.'), incidents (citing it), most first.

    Reads only the source_urls of the matching incidents (the same conditions as the other incident reads), packed
    into one text by the database, and finds the hosts with Arrow string functions: a host counts once per incident.
    """
    conds = incident_conditions(viewer, flt)
    postgres = engine.dialect.name == "postgresql"
    urls = cast(Incident.source_urls, Text) if postgres else type_coerce(Incident.source_urls, Text)
    if postgres:
        packed = func.string_agg(urls, literal(_RECORD_SEPARATOR), type_=Text)
    else:
        packed = func.group_concat(urls, func.char(ord(_RECORD_SEPARATOR)), type_=Text)
    with engine.connect() as conn:
        count, joined = conn.execute(select(func.count(), packed).where(*conds)).one()
        texts = joined.split(_RECORD_SEPARATOR) if count else []
        if len(texts) != count:  # text that is not plain JSON: read it row by row
            texts = list(conn.execute(select(urls).where(*conds)).scalars())
    return _source_host_counts(texts)


def _source_host_counts(texts: list[str]) -> pd.DataFrame:
    """Hosts of the web addresses in JSON lists of text (one per incident) and the number of lists citing each.

    Like urllib's hostname, lower case; 'www.' is removed after the hosts of one incident are made distinct.
    """
    incs, hosts = [], []
    lists = pa.array(texts, type=pa.string())
    pieces = pc.split_pattern(lists, '"')
    flat = pc.list_flatten(pieces)
    parent = pc.list_parent_indices(pieces).to_numpy().astype(np.int64)
    place = np.arange(len(flat), dtype=np.int64) - pieces.offsets.to_numpy().astype(np.int64)[parent]
    inside = place % 2 == 1  # without escapes, the text between the 1st and 2nd, 3rd and 4th ... quote is a value
    between = pc.match_substring_regex(flat, r"^[ \t\n\r\[\],]*$").to_numpy(zero_copy_only=False)
    slow = pc.match_substring(lists, "\\").to_numpy(zero_copy_only=False)
    slow |= pc.list_value_length(pieces).to_numpy() % 2 == 0
    slow[parent[~inside & ~between]] = True
    keep = inside & ~slow[parent]
    values, value_inc = pc.filter(flat, pa.array(keep)), parent[keep]
    odd_values: list[tuple[int, str]] = []
    for i in np.flatnonzero(slow).tolist():  # escapes or other JSON: decoded in Python
        odd_values += [(i, str(u)) for u in json.loads(texts[i]) or []]
    found = pc.extract_regex(values, _PLAIN_URL)
    plain = pc.is_valid(found).to_numpy(zero_copy_only=False)
    incs.append(value_inc[plain])
    hosts.append(pc.ascii_lower(pc.struct_field(pc.filter(found, pa.array(plain)), "host")).to_numpy(False))
    values = values.to_numpy(zero_copy_only=False)
    odd_values += zip(value_inc[~plain].tolist(), values[~plain].tolist(), strict=True)
    odd = [
        (i, host)
        for i, value in odd_values
        for part in value.split("; ")
        if part.strip() and (host := urlparse(part.strip()).hostname)
    ]
    incs.append(np.array([i for i, _ in odd], dtype=np.int64))
    hosts.append(np.array([h for _, h in odd], dtype=object))
    pairs = pd.DataFrame({"inc": np.concatenate(incs), "host": np.concatenate(hosts).astype(object)})
    pairs = pairs[pairs["host"] != ""].drop_duplicates()
    counts = pairs["host"].str.removeprefix("www.").value_counts(sort=False)
    out = pd.DataFrame({"host": counts.index.astype(object), "incidents": counts.to_numpy()})
    out = out.sort_values(["incidents", "host"], ascending=[False, True], kind="stable")
    return int_frame(out, "incidents")
