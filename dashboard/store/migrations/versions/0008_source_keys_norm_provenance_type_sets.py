"""one incident across both tracks, norm links with provenance, several types per incident

- incidents.source_key ("<source>:<source id>", indexed): copies of one source record uploaded into both tracks
  share it, so the views count them once. Filled from each row's dataset version (its preset, "template" when
  none) and source id; rows without a source id keep "".
- incident_norms.inferred and .basis: a link is asserted by the source (basis: the source column) or inferred by
  a named rule (basis: the rule). Existing links of template uploads were asserted by the file's norms column;
  those of EuRepoC and CFR uploads were all added by the import rules, which did not record which rule.
- incident_type_links (incident, type): every type the source gives; incidents.incident_type_id stays the
  primary one. Filled with each incident's primary type.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("source_key", sa.String(length=200), nullable=False, server_default=""))
    op.create_index("ix_incidents_source_key", "incidents", ["source_key"], unique=False)
    op.execute(
        sa.text(
            "UPDATE incidents SET source_key = COALESCE(NULLIF((SELECT preset FROM dataset_versions v "
            "WHERE v.id = incidents.dataset_version_id), ''), 'template') || ':' || source_id "
            "WHERE source_id <> ''"
        )
    )
    op.add_column(
        "incident_norms", sa.Column("inferred", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("incident_norms", sa.Column("basis", sa.String(length=120), nullable=False, server_default=""))
    op.execute(
        sa.text(
            "UPDATE incident_norms SET inferred = :yes, basis = 'import rule (not recorded before 0008)' "
            "WHERE incident_id IN (SELECT i.id FROM incidents i JOIN dataset_versions v "
            "ON v.id = i.dataset_version_id WHERE v.preset IN ('eurepoc', 'cfr'))"
        ).bindparams(yes=True)
    )
    op.execute(sa.text("UPDATE incident_norms SET basis = 'norms' WHERE basis = ''"))
    op.create_table(
        "incident_type_links",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_type_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["incident_types.id"], name=op.f("fk_incident_type_links_type_id_incident_types")
        ),
        sa.PrimaryKeyConstraint("incident_id", "type_id", name=op.f("pk_incident_type_links")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_incident_type_links_facts", "incident_type_links", ["type_id", "incident_id"], unique=False)
    op.execute(sa.text("INSERT INTO incident_type_links (incident_id, type_id) SELECT id, incident_type_id FROM incidents"))


def downgrade() -> None:
    op.drop_index("ix_incident_type_links_facts", table_name="incident_type_links")
    op.drop_table("incident_type_links")
    with op.batch_alter_table("incident_norms", schema=None) as batch_op:
        batch_op.drop_column("basis")
        batch_op.drop_column("inferred")
    op.drop_index("ix_incidents_source_key", table_name="incidents")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("source_key")
