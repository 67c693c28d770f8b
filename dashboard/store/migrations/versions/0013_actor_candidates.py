"""actor names that the alias table does not resolve: candidates a coordinator merges or keeps distinct

actor_names: one row per actor name from imports that dashboard/core/threat_actors.py does not resolve and that names
someone (dashboard/ingest/actor_names.py), keyed by its normalised form (dashboard/store/actor_models.label_key), with
its first spelling, when it was first seen, how many incidents of the last import that named it did, and its status:
'candidate' until a coordinator merges it into a reference actor (actor_id) or keeps it distinct, with who decided
and when (dashboard/accounts/actor_decisions.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actor_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("shown", sa.String(length=300), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.String(length=80), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('candidate', 'merged', 'distinct')", name=op.f("ck_actor_names_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor_names")),
        sa.UniqueConstraint("label", name=op.f("uq_actor_names_label")),
    )


def downgrade() -> None:
    op.drop_table("actor_names")
