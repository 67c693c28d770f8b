"""attribution and response events of incidents

incident_attributions: one row per attribution event (date, who attributed, to whom, kind, basis, source link,
confidence by the written rule of dashboard/ingest/attributions.py); incident_responses: one row per political or
legal response (date, responder, kind, the source's label, target, link; dashboard/ingest/responses.py). Both are
filled by the EuRepoC and CFR presets. The rows belong to their incident (same track, marking and version); deleting
an incident deletes them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_attributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("attributor", sa.Text(), nullable=False),
        sa.Column("attributor_country", sa.String(length=3), nullable=False),
        sa.Column("attributed", sa.Text(), nullable=False),
        sa.Column("attributed_actors", sa.JSON(), nullable=False),
        sa.Column("attributed_country", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "confidence IN ('low', 'medium', 'high')", name=op.f("ck_incident_attributions_confidence")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_attributions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_attributions")),
    )
    op.create_index(
        op.f("ix_incident_attributions_incident_id"), "incident_attributions", ["incident_id"], unique=False
    )


    op.create_table(
        "incident_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("responder", sa.Text(), nullable=False),
        sa.Column("responder_country", sa.String(length=3), nullable=False),
        sa.Column("responder_region", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_kind", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("layer", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_responses_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_responses")),
    )
    op.create_index(op.f("ix_incident_responses_incident_id"), "incident_responses", ["incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_responses_incident_id"), table_name="incident_responses")
    op.drop_table("incident_responses")
    op.drop_index(op.f("ix_incident_attributions_incident_id"), table_name="incident_attributions")
    op.drop_table("incident_attributions")
