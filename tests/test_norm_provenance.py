"""Issue 11: norm links with provenance (asserted or inferred by a named rule), several types per incident, rows
without any country stored on request as 'target not identified', and CFR titles as source ids.

The tests on the real exports read ../shared/datasets/ and skip when the folder is absent (as tests/test_real_exports).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from dashboard.core.access import local_admin
from dashboard.ingest import norm_rules, pipeline
from dashboard.ingest.cells import type_labels
from dashboard.ingest.issues import UNIDENTIFIED
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import (
    DatasetVersion,
    Incident,
    IncidentInitiator,
    IncidentNorm,
    IncidentTarget,
    IncidentTypeLink,
)
from tests.conftest import BACKENDS, HOST_ORG, Database
from tests.test_real_exports import CFR, EUREPOC

ADMIN = local_admin(HOST_ORG)
TRACK = "eastern-europe"
COLUMNS = (
    "source_id,title,start_date,incident_type,target_countries,initiator_countries,initiator_category,sectors,norms"
)
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()), reason="the real exports are not in ../shared/datasets/"
)


def _template(engine: Engine, lines: list[str], **options: object) -> pipeline.Prepared:
    data = (COLUMNS + "\n" + "\n".join(lines) + "\n").encode()
    return pipeline.prepare(
        engine, ADMIN, layer="incidents", track=TRACK, file_name="t.csv", data=data, max_bytes=10**7, **options
    )


# ---------------------------------------------------------------------------------------------- the rules


def test_every_rule_has_a_label_and_none_pins_norm_g() -> None:
    assert set(norm_rules.RULES) == {
        "critical-infrastructure-target",
        "supply-chain-compromise",
        "non-state-actor-from-state-territory",
    }
    for rule_id, rule in norm_rules.RULES.items():
        assert rule.item_id.startswith("un-norms:") and rule.item_id != "un-norms:g"
        assert norm_rules.rule_label(rule_id) == rule.label and rule.item_id[-1] in rule.label
    assert norm_rules.rule_label("norms") == "Listed by the source"
    assert "import rule" in norm_rules.rule_label("import rule (not recorded before 0008)")


def test_rules_by_type_sector_and_initiator() -> None:
    infer = norm_rules.inferred_norms
    assert infer(["espionage"], ["energy"], "State", True) == [("un-norms:f", "critical-infrastructure-target")]
    assert infer(["disruption", "supply-chain"], [], "", False) == [("un-norms:i", "supply-chain-compromise")]
    assert infer([], ["government"], "Non-state-group", True) == [
        ("un-norms:c", "non-state-actor-from-state-territory")
    ]
    assert infer([], ["energy"], "Non-state-group", False) == [("un-norms:f", "critical-infrastructure-target")]


# ---------------------------------------------------------------------------------------------- our template


def test_template_norms_are_asserted_and_rules_add_the_rest(engine: Engine) -> None:
    prepared = _template(
        engine,
        [
            "T1,Grid,2024-01-02,disruption,UKR,RUS,Non-state-group,energy,un-norms:f",  # f asserted, c inferred
            "T2,Update,2024-01-03,supply-chain; espionage,EST,,State,energy,",  # f and i inferred
            "T3,Mail,2024-01-04,espionage,LVA,,Non-state-group,,un-norms:e",  # no country named: no c
        ],
    )
    rows = prepared.checked.rows.set_index("source_id")
    assert rows.at["T1", "norms"] == ["un-norms:f"]
    assert rows.at["T1", "norms_inferred"] == [("un-norms:c", "non-state-actor-from-state-territory")]
    assert rows.at["T2", "norms"] == []
    assert rows.at["T2", "norms_inferred"] == [
        ("un-norms:f", "critical-infrastructure-target"),
        ("un-norms:i", "supply-chain-compromise"),
    ]
    assert (rows.at["T3", "norms"], rows.at["T3", "norms_inferred"]) == (["un-norms:e"], [])
    pipeline.commit(engine, prepared, ADMIN)
    with engine.connect() as conn:
        links = set(
            conn.execute(
                select(Incident.source_id, IncidentNorm.item_id, IncidentNorm.inferred, IncidentNorm.basis).join(
                    Incident, Incident.id == IncidentNorm.incident_id
                )
            ).all()
        )
    assert links == {
        ("T1", "un-norms:f", False, "norms"),
        ("T1", "un-norms:c", True, "non-state-actor-from-state-territory"),
        ("T2", "un-norms:f", True, "critical-infrastructure-target"),
        ("T2", "un-norms:i", True, "supply-chain-compromise"),
        ("T3", "un-norms:e", False, "norms"),
    }


def test_template_types_first_listed_is_primary(engine: Engine) -> None:
    prepared = _template(
        engine,
        [
            "A,One,2024-01-02,espionage; disruption,UKR,,,,",  # the coordinator put espionage first
            "B,Two,2024-01-02,Hijacking / account takeover,UKR,,,,",  # a name, as in the vocabulary
            "C,Three,2024-01-02,espionage; cyber-war,UKR,,,,",
        ],
    )
    rows = prepared.checked.rows.set_index("source_id")
    assert (rows.at["A", "incident_type"], rows.at["A", "types"]) == ("espionage", ["espionage", "disruption"])
    assert (rows.at["B", "incident_type"], rows.at["B", "types"]) == ("hijacking", ["hijacking"])
    errors = [i for i in prepared.issues if i.level == "error"]
    assert [(e.row, e.value) for e in errors] == [(4, "cyber-war")]
    pipeline.commit(engine, prepared, ADMIN, skip_invalid=True)
    with engine.connect() as conn:
        links = conn.execute(
            select(Incident.source_id, Incident.incident_type_id, IncidentTypeLink.type_id).join(
                Incident, Incident.id == IncidentTypeLink.incident_id
            )
        ).all()
    assert sorted(links) == [
        ("A", "espionage", "disruption"),
        ("A", "espionage", "espionage"),
        ("B", *["hijacking"] * 2),
    ]


def test_type_labels_split_only_outside_brackets() -> None:
    assert type_labels("Data theft; Hijacking with Misuse") == ["Data theft", "Hijacking with Misuse"]
    assert type_labels("['Data theft', 'Disruption']") == ["Data theft", "Disruption"]
    assert type_labels("Short-term disruption (< 24h; incident scores 1 point); Ransomware") == [
        "Short-term disruption (< 24h; incident scores 1 point)",
        "Ransomware",
    ]
    assert type_labels("Not available") == []


def test_rows_without_any_country_are_stored_only_on_request(engine: Engine) -> None:
    lines = ["U1,Nowhere,2024-01-02,espionage,,,,,", "U2,Origin known,2024-01-02,espionage,,RUS,,,"]
    plain = _template(engine, lines)  # U2 names its initiator: stored, its target not identified, either way
    assert plain.counts["errors"] == 1 and plain.checked.error_rows == {2}
    assert plain.counts["unidentified"] == 1 and plain.checked.unidentified_rows == {3}
    kept = _template(engine, lines, store_unidentified=True)
    assert kept.counts["errors"] == 0 and kept.checked.unidentified_rows == {2, 3}
    assert "with its initiator country" in next(i.message for i in kept.issues if i.row == 3)
    note = next(i for i in kept.issues if i.row == 2)
    assert note.level == UNIDENTIFIED and "and no initiator country" in note.message
    done = pipeline.commit(engine, kept, ADMIN, skip_invalid=True)
    assert done.stored == 2
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(Incident.source_id)).all()) == ["U1", "U2"]
        assert conn.scalars(select(IncidentTarget.iso3)).all() == []
        assert conn.scalars(select(IncidentInitiator.iso3)).all() == ["RUS"]


# ---------------------------------------------------------------------------------------------- the real exports


def _load(engine: Engine, path: Path, track: str = TRACK, **options: object) -> pipeline.Prepared:
    prepared = pipeline.prepare(
        engine,
        ADMIN,
        layer="incidents",
        track=track,
        file_name=path.name,
        data=path.read_bytes(),
        max_bytes=10**8,
        **options,
    )
    pipeline.commit(engine, prepared, ADMIN, skip_invalid=True)
    return prepared


@pytest.fixture(scope="module", params=BACKENDS)
def real(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """EuRepoC and CFR loaded into Eastern Europe, rows without any country kept; CFR also into Indo-Pacific."""
    db = Database(request.param, tmp_path_factory.mktemp("provenance"))
    initialise(db.engine)
    prepared = {path.name: _load(db.engine, path, store_unidentified=True) for path in (EUREPOC, CFR)}
    _load(db.engine, CFR, track="indo-pacific")
    with db.engine.connect() as conn:
        incidents = pd.DataFrame(
            conn.execute(
                select(
                    Incident.id,
                    Incident.title,
                    Incident.source_id,
                    Incident.source_key,
                    Incident.track_id,
                    Incident.incident_type_id,
                    DatasetVersion.file_name,
                ).join(DatasetVersion, DatasetVersion.id == Incident.dataset_version_id)
            ).all(),
            columns=["id", "title", "source_id", "source_key", "track", "primary", "file_name"],
        )
        norms = pd.DataFrame(
            conn.execute(
                select(IncidentNorm.incident_id, IncidentNorm.item_id, IncidentNorm.inferred, IncidentNorm.basis)
            ).all(),
            columns=["id", "item_id", "inferred", "basis"],
        )
        types = pd.DataFrame(
            conn.execute(select(IncidentTypeLink.incident_id, IncidentTypeLink.type_id)).all(),
            columns=["id", "type_id"],
        )
        targeted = set(conn.scalars(select(IncidentTarget.incident_id)))
    incidents["types"] = incidents["id"].map(types.groupby("id")["type_id"].agg(set))
    incidents["targeted"] = incidents["id"].isin(targeted)
    yield incidents, norms, prepared, db.engine
    db.drop()


@real_exports
def test_real_norm_links_carry_their_provenance(real) -> None:
    """EuRepoC and CFR list no norms: every link is inferred, by a named rule, with that rule's item; never g."""
    _, norms, _, _ = real
    assert len(norms) > 100
    assert not (norms["item_id"] == "un-norms:g").any()
    assert norms["inferred"].all() and (norms["basis"] != "norms").all()
    assert set(norms["basis"]) <= set(norm_rules.RULES)
    assert all(norm_rules.RULES[b].item_id == item for b, item in zip(norms["basis"], norms["item_id"]))
    assert {"critical-infrastructure-target", "non-state-actor-from-state-territory"} <= set(norms["basis"])


@real_exports
def test_real_asserted_links_come_only_from_a_norms_column(real) -> None:
    _, _, prepared, _ = real
    for checked in prepared.values():
        assert not checked.checked.rows["norms"].map(len).any()  # neither export has a norms column
        inferred = checked.checked.rows["norms_inferred"]
        assert all(rule in norm_rules.RULES for links in inferred for _, rule in links)


@real_exports
def test_real_eurepoc_rows_keep_every_type_primary_by_gravity(real) -> None:
    incidents, _, prepared, _ = real
    eurepoc = incidents[incidents["file_name"] == EUREPOC.name].set_index("title")
    viasat = eurepoc[eurepoc.index.str.startswith("Viasat Hack")]
    assert len(viasat) == 1 and viasat["primary"].iloc[0] == "disruption"
    assert {"disruption", "hijacking"} <= viasat["types"].iloc[0]
    source = pd.read_csv(EUREPOC, dtype=str, keep_default_na=False)
    both = source[source["incident_type"] == "Data theft; Hijacking with Misuse"]["name"]
    stored = eurepoc.loc[eurepoc.index.intersection(both)]
    assert len(stored) > 10
    assert (stored["primary"] == "espionage").all()
    assert all(t == {"espionage", "hijacking"} for t in stored["types"])
    checked = prepared[EUREPOC.name].checked.rows
    assert checked["types"].map(len).gt(1).sum() > 500  # 584 rows of the export name several effects
    assert all(row_types[0] == primary for row_types, primary in zip(checked["types"], checked["incident_type"]))


@real_exports
def test_real_rows_without_any_country_are_stored_as_target_not_identified(real) -> None:
    incidents, _, prepared, engine = real
    for path in (EUREPOC, CFR):
        checked = prepared[path.name]
        unidentified = checked.counts["unidentified"]
        assert unidentified >= 1
        ours = incidents[(incidents["file_name"] == path.name) & (incidents["track"] == TRACK)]
        assert (~ours["targeted"]).sum() == unidentified
    assert prepared[EUREPOC.name].counts["unidentified"] > 30
    # Without the option the same rows are errors and not stored.
    again = pipeline.prepare(
        engine,
        ADMIN,
        layer="incidents",
        track="indo-pacific",
        file_name=EUREPOC.name,
        data=EUREPOC.read_bytes(),
        max_bytes=10**8,
    )
    numbers = prepared[EUREPOC.name].checked.unidentified_rows
    placed = again.checked.unidentified_rows | again.checked.outside_rows  # rows that name an initiator country
    assert again.counts["unidentified"] < len(numbers) and numbers <= placed | again.checked.error_rows
    assert numbers & again.checked.error_rows  # the rows without any country: refused without the option


@real_exports
def test_real_cfr_records_are_one_across_tracks(real) -> None:
    incidents, _, _, _ = real
    cfr = incidents[incidents["file_name"] == CFR.name]
    assert (cfr["source_id"] != "").all() and cfr["source_id"].str.len().max() <= 120
    assert (cfr["source_key"] == "cfr:" + cfr["source_id"]).all()
    by_track = cfr.groupby("track")["source_key"].agg(set)
    assert len(by_track["eastern-europe"] & by_track["indo-pacific"]) > 10
    # Two operations that share a title keep distinct ids (the date is added); a true repeat stays a duplicate.
    ukraine = cfr[cfr["title"] == "Targeting of Ukrainian government websites"]["source_id"]
    assert set(ukraine) == {
        "Targeting of Ukrainian government websites (2022-02-23)",
        "Targeting of Ukrainian government websites (2022-01-16)",
    }


@real_exports
def test_real_cfr_reupload_matches_rows_stored_before_cfr_had_ids(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path)
    initialise(db.engine)
    first = pipeline.prepare(
        db.engine, ADMIN, layer="incidents", track=TRACK, file_name=CFR.name, data=CFR.read_bytes(), max_bytes=10**8
    )
    first.checked.rows["source_id"] = ""  # as CFR rows were stored before 0008
    stored = pipeline.commit(db.engine, first, ADMIN, skip_invalid=True).stored
    again = pipeline.prepare(
        db.engine, ADMIN, layer="incidents", track=TRACK, file_name=CFR.name, data=CFR.read_bytes(), max_bytes=10**8
    )
    counts = again.counts
    assert (counts["unchanged"], counts["new"], counts["removed_in_replace"]) == (stored, 0, 0)
    db.drop()


def test_cli_store_unidentified(tmp_path: Path) -> None:
    from tests.test_cli import run

    db = Database("sqlite", tmp_path)
    assert run("init", url=db.url).returncode == 0
    path = tmp_path / "u.csv"
    path.write_text(COLUMNS + "\nU1,Nowhere,2024-01-02,espionage,,,,,\n")
    plain = run("ingest", "incidents", str(path), "--track", TRACK, url=db.url)
    assert plain.returncode == 1 and "unidentified 0" in plain.stdout
    kept = run("ingest", "incidents", str(path), "--track", TRACK, "--store-unidentified", url=db.url)
    assert kept.returncode == 0 and "unidentified 1" in kept.stdout and "target not identified" in kept.stdout
    db.drop()
