"""incident link tables: one B-tree each on SQLite, and no single-column index that a covering one supersedes

On SQLite the four link tables (targets, initiators, sectors, norms) become WITHOUT ROWID tables: the primary key
(incident id, value) is the table itself, so a bulk upload writes one B-tree less per link row (about half the
time). On both databases the single-column index on the value is dropped: migration 0005's (value, incident id)
index answers every query it answered. The rows are copied, never changed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LINKS = {  # table: (value column, index superseded by 0005's covering index)
    "incident_targets": ("iso3", "ix_incident_targets_iso3"),
    "incident_initiators": ("iso3", "ix_incident_initiators_iso3"),
    "incident_sectors": ("sector_id", "ix_incident_sectors_sector_id"),
    "incident_norms": ("item_id", "ix_incident_norms_item_id"),
}


def _rebuild_without_rowid(table: str) -> None:
    """Copy an SQLite table into a WITHOUT ROWID table of the same definition (foreign keys are off here)."""
    bind = op.get_bind()
    create = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table})
    sql = create.scalar_one()
    if "WITHOUT ROWID" in sql.upper():
        return
    indexes = (
        bind.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        )
        .scalars()
        .all()
    )
    temporary = f"_new_{table}"
    _head, rest = sql.split("(", 1)
    op.execute(f"CREATE TABLE {temporary} ({rest.rstrip()} WITHOUT ROWID")
    columns = [row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({table})")]
    source = sa.table(table, *(sa.column(c) for c in columns))
    op.execute(sa.insert(sa.table(temporary, *(sa.column(c) for c in columns))).from_select(columns, source.select()))
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {temporary} RENAME TO {table}")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    for table, (_column, index) in LINKS.items():
        op.drop_index(index, table_name=table, if_exists=True)
        if op.get_bind().dialect.name == "sqlite":
            _rebuild_without_rowid(table)


def downgrade() -> None:
    for table, (column, index) in LINKS.items():
        op.create_index(index, table, [column], unique=False, if_not_exists=True)
