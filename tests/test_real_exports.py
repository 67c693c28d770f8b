"""Imports of the real public exports in ../shared/datasets/ (never copied into the repository).

The files are third-party (EuRepoC, CFR Cyber Operations Tracker); the tests skip with a message when the folder is
absent. Each backend loads both files once into Eastern Europe, as a coordinator would with --skip-invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import local_admin
from dashboard.core.vocabulary import track_members
from dashboard.ingest import pipeline
from dashboard.ingest.issues import INFERRED, OUTSIDE, PROFILE
from dashboard.ingest.norm_rules import RULES
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import DatasetVersion, Incident, IncidentNorm
from tests.conftest import BACKENDS, HOST_ORG, Database

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
ADMIN = local_admin(HOST_ORG)
TRACK = "eastern-europe"
RESPONSE_KEYWORDS = ("Denouncement", "Confirmation", "Criminal charges", "Sanctions", "Denial")

pytestmark = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()),
    reason=f"the real exports are not in {DATASETS} (see ../shared/datasets/README.md)",
)


def _load(engine, path: Path) -> pipeline.Prepared:
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=TRACK, file_name=path.name, data=path.read_bytes(), max_bytes=10**8
    )
    pipeline.commit(engine, prepared, ADMIN, skip_invalid=True)
    return prepared


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A database per backend with EuRepoC and CFR loaded (once for the module), and their check reports."""
    db = Database(request.param, tmp_path_factory.mktemp("real"))
    initialise(db.engine)
    reports = {path.name: _load(db.engine, path).report_frame() for path in (EUREPOC, CFR)}
    with db.engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(
                select(
                    Incident.initiator_name, Incident.attribution_basis, Incident.original, DatasetVersion.file_name
                ).join(DatasetVersion, DatasetVersion.id == Incident.dataset_version_id)
            ).all(),
            columns=["initiator_name", "attribution_basis", "original", "file_name"],
        )
    stored = read.incident_rows(db.engine, ADMIN, read.IncidentFilter(tracks=frozenset({TRACK})), limit=None)
    with db.engine.connect() as conn:
        norms = pd.DataFrame(
            conn.execute(
                select(IncidentNorm.item_id, IncidentNorm.inferred, IncidentNorm.basis, DatasetVersion.file_name)
                .join(Incident, Incident.id == IncidentNorm.incident_id)
                .join(DatasetVersion, DatasetVersion.id == Incident.dataset_version_id)
            ).all(),
            columns=["item_id", "inferred", "basis", "file_name"],
        )
    stored.attrs["norms"] = norms
    yield rows, reports, stored
    db.drop()


def test_actor_names_are_lists_of_names_never_list_text(loaded) -> None:
    rows, _, _ = loaded
    names = rows["initiator_name"]
    assert not names.str.contains(r"[\[\]]").any()
    assert not names.str.contains("Not available|^Unknown$", regex=True).any()
    eurepoc = rows[rows["file_name"] == EUREPOC.name]
    assert (eurepoc["initiator_name"] != "").sum() > 200


def test_long_alias_lists_are_stored_whole(loaded) -> None:
    """APT28's EuRepoC name (about 220 characters of aliases) used to be refused at 200 characters."""
    rows, reports, _ = loaded
    apt28 = rows[rows["initiator_name"].str.startswith("Fancy Bear/APT28/Sofacy")]["initiator_name"]
    assert len(apt28) >= 10 and apt28.str.len().min() > 200
    assert apt28.str.contains("Military Unit 26165", regex=False).all()
    for report in reports.values():
        assert not report["column"].isin(["initiator_name", "Affiliations"]).any(), report[
            report["column"].isin(["initiator_name", "Affiliations"])
        ]


def test_cfr_response_is_never_the_attribution_basis(loaded) -> None:
    rows, _, _ = loaded
    cfr = rows[rows["file_name"] == CFR.name]
    keyword = re.compile("^(" + "|".join(RESPONSE_KEYWORDS) + ")")
    assert not cfr["attribution_basis"].str.match(keyword).any()
    # The response stays in the source values; a few CFR rows have shifted cells, so not every one is a keyword.
    responses = [o["Response"] for o in cfr["original"] if "Response" in o]
    known = [r for r in responses if keyword.match(r) or r.startswith(("Unknown", "Hack Back"))]
    assert len(responses) > 20 and len(known) >= 0.95 * len(responses)


def test_rows_that_involve_no_member_of_the_track_are_reported_not_stored(loaded) -> None:
    """EuRepoC and CFR are global: most of their rows involve no Eastern Europe member (target or initiator)."""
    _, reports, stored = loaded
    members = set(track_members()[TRACK])
    for frame in (stored["targets"], stored["initiators"]):
        assert frame.notna().all()
    involved = [
        set(t.split("; ")) | set(filter(None, i.split("; "))) for t, i in zip(stored["targets"], stored["initiators"])
    ]
    assert len(involved) > 400 and all(countries & members for countries in involved)
    eurepoc = reports[EUREPOC.name]
    outside = eurepoc[eurepoc["level"] == OUTSIDE]
    assert outside["row"].is_unique and len(outside) > 1000
    assert outside["message"].str.contains("involves no member of Eastern Europe").all()
    # Outside rows are not counted as errors or warnings, and a row is never both outside and in error.
    assert not set(outside["row"]) & set(eurepoc[eurepoc["level"] == "error"]["row"])


def test_cfr_countries_found_in_the_title_or_description_are_marked_as_inferred(loaded) -> None:
    """CFR's Victims is free text; when it names no country, the title and then the description are searched, and
    the country is marked as inferred (never the suspected sponsor)."""
    rows, reports, stored = loaded
    report = reports[CFR.name]
    inferred = report[report["level"] == INFERRED]
    assert len(inferred) > 50 and inferred["row"].is_unique
    vinnytsia = stored[stored["title"] == "Targeting of government network in Vinnytsia, Ukraine"]
    assert vinnytsia["targets"].tolist() == ["UKR"]
    cfr = rows[rows["file_name"] == CFR.name]
    marked = [o for o in cfr["original"] if "inferred: target_countries" in o]
    assert marked and {o["inferred: target_countries"] for o in marked} <= {"title", "description"}
    assert any(o["Title"] == "Targeting of government network in Vinnytsia, Ukraine" for o in marked)
    # Rows with a country in Victims are never marked.
    assert all("inferred: target_countries" not in o for o in cfr["original"] if o.get("Victims") == "Ukraine")


def test_eurepoc_severity_follows_the_intensity_crosswalk(loaded) -> None:
    """Viasat KA-SAT (weighted intensity 4) is high; no severity is 0 unless EuRepoC scores no effect."""
    _, _, stored = loaded
    viasat = stored[stored["title"].str.startswith("Viasat Hack")]
    assert len(viasat) == 1 and int(viasat["severity"].iloc[0]) >= 3
    eurepoc = pd.read_csv(EUREPOC, dtype=str, keep_default_na=False)
    intensity = dict(zip(eurepoc["name"], eurepoc["weighted_cyber_intensity"], strict=True))
    zero = stored[stored["severity"] == 0]
    assert all(float(intensity[t]) < 1 for t in zero["title"] if t in intensity)


def test_no_rule_pins_norm_g_on_the_victim(loaded) -> None:
    """Norm g (protect your own critical infrastructure) is the victim's duty: EuRepoC never asserts it, so no
    imported incident carries it; the critical-infrastructure rule links only norm f. Neither export lists norms, so
    every link is inferred and names its rule."""
    _, _, stored = loaded
    norms = stored.attrs["norms"]
    assert len(norms) > 0
    assert "un-norms:g" not in set(norms["item_id"])
    assert norms["inferred"].all() and set(norms["basis"]) <= set(RULES)
    assert set(norms[norms["basis"] == "critical-infrastructure-target"]["item_id"]) == {"un-norms:f"}


def test_the_primary_type_is_the_gravest_effect_the_source_names(loaded) -> None:
    """'Data theft; Hijacking with Misuse' is espionage (it was hijacking, halving espionage), Viasat KA-SAT
    ('Disruption; Hijacking with Misuse') a disruption, and CFR's 'Financial Theft' is not espionage."""
    _, _, stored = loaded
    types = dict(zip(stored["title"], stored["type"], strict=True))
    eurepoc = pd.read_csv(EUREPOC, dtype=str, keep_default_na=False)
    both = eurepoc[eurepoc["incident_type"] == "Data theft; Hijacking with Misuse"]["name"]
    shown = [types[name] for name in both if name in types]
    assert shown and set(shown) == {"espionage"}
    assert {t for title, t in types.items() if title.startswith("Viasat Hack")} == {"disruption"}
    cfr = pd.read_csv(CFR, dtype=str, keep_default_na=False, encoding_errors="replace")
    theft = [types[t] for t in cfr[cfr["Type"] == "Financial Theft"]["Title"] if t in types]
    assert theft and "espionage" not in theft


def test_cfr_threat_actor_profiles_are_reported_not_stored(loaded) -> None:
    """CFR lists threat actors as rows of their own (APT 37, Axiom): reported as profiles, never stored."""
    _, reports, stored = loaded
    report = reports[CFR.name]
    profiles = report[report["level"] == PROFILE]
    names = set(profiles["value"])
    assert {"APT 37", "Axiom", "Lazarus Group", "Sandworm"} <= names and len(profiles) > 50
    assert not names & set(stored["title"])
    # Operations named after their tool stay incidents.
    assert {"WannaCry", "NotPetya"} & set(stored["title"]) or not {"WannaCry", "NotPetya"} & names
    assert not {"WannaCry", "NotPetya", "Stuxnet"} & names
