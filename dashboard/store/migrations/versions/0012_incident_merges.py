"""one incident across sources: merges of source records

incident_merges: one row per pair of source records (their source keys, "eurepoc:1032" and "cfr:NotPetya|7/1/2017",
the smaller first) that the matcher (dashboard/analysis/linkage.py) found to describe one real-world incident, or
that a coordinator confirmed or split. Keyed by source keys, not incident ids, so a decision outlives re-uploads of
either export. source_groups: the merge group of each source key that has partners (union of the pairs not split),
so that SQL reads and the snapshot count a group once, the same way they count copies of one record once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("left_key", sa.String(length=200), nullable=False),
        sa.Column("right_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('matched', 'confirmed', 'split')", name=op.f("ck_incident_merges_status")),
        sa.CheckConstraint("left_key < right_key", name=op.f("ck_incident_merges_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_merges")),
        sa.UniqueConstraint("left_key", "right_key", name=op.f("uq_incident_merges_left_key")),
    )
    op.create_index(op.f("ix_incident_merges_right_key"), "incident_merges", ["right_key"], unique=False)
    op.create_table(
        "source_groups",
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("source_key", name=op.f("pk_source_groups")),
    )
    op.create_index(op.f("ix_source_groups_group_key"), "source_groups", ["group_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_source_groups_group_key"), table_name="source_groups")
    op.drop_table("source_groups")
    op.drop_index(op.f("ix_incident_merges_right_key"), table_name="incident_merges")
    op.drop_table("incident_merges")
