"""a database-side write counter for cache stamps, and a per-user session epoch

- write_counter (one row, id 1): n grows with every write that changes what a reader may see. Triggers on
  dataset_versions, row_replacements and track_members raise it (statement-level on PostgreSQL, per row on
  SQLite); restore and the bulk writes (which may run with triggers off on PostgreSQL) raise it as well
  (`store.db.bump_write_counter`). Data stamps include it, so a restore of other rows under the same version ids,
  a rollback or a membership change is never served from a cache. Backups leave it out: it only ever grows.
- users.session_epoch: raised by a password reset or an account change; a session signed in under an older epoch
  is ended at its next page run.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COUNTED = ("dataset_versions", "row_replacements", "track_members")
_EVENTS = ("insert", "update", "delete")
_BUMP = "UPDATE write_counter SET n = n + 1 WHERE id = 1"
_PG_EVENTS = "INSERT OR UPDATE OR DELETE OR TRUNCATE"


def upgrade() -> None:
    op.create_table(
        "write_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_counter")),
    )
    op.execute(sa.text("INSERT INTO write_counter (id, n) VALUES (1, 0)"))
    op.add_column("users", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            sa.text(
                "CREATE FUNCTION bump_write_counter() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN " + _BUMP + "; RETURN NULL; END $$"
            )
        )
        for table in COUNTED:
            op.execute(
                sa.text(
                    "CREATE TRIGGER " + table + "_written AFTER " + _PG_EVENTS + " ON " + table + " "
                    "FOR EACH STATEMENT EXECUTE FUNCTION bump_write_counter()"
                )
            )
    else:
        for table in COUNTED:
            for event in _EVENTS:
                op.execute(
                    sa.text(
                        "CREATE TRIGGER " + table + "_" + event + "_written AFTER " + event.upper() + " ON " + table + " "
                        "BEGIN " + _BUMP + "; END"
                    )
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in COUNTED:
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_written ON {table}"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS bump_write_counter()"))
    else:
        for table in COUNTED:
            for event in _EVENTS:
                op.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_{event}_written"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
    op.drop_table("write_counter")
