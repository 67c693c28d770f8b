"""browser sessions held server-side

web_sessions: one row per browser session (an account's or a share link's). The browser's cookie holds a random
token; this table holds only its HMAC under the secret key, so a copy of the database cannot be used to sign in. A
one-time handoff ticket (HMAC, one minute, bound to the browser that signed in) stands in for the token until the
browser has its cookie. Several app
processes over one database share the sessions. Ended sessions are kept (ended_at, end_reason).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("ticket_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_binding", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("share_link_id", sa.Integer(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_web_sessions_ticket_hash")),
    )
    for column in ("user_id", "share_link_id", "ended_at"):
        op.create_index(op.f(f"ix_web_sessions_{column}"), "web_sessions", [column], unique=False)


def downgrade() -> None:
    for column in ("user_id", "share_link_id", "ended_at"):
        op.drop_index(op.f(f"ix_web_sessions_{column}"), table_name="web_sessions")
    op.drop_table("web_sessions")
