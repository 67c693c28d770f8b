"""incidents and their link tables: covering indexes for the columnar snapshot (dashboard/facts.py)

The snapshot reads track, marking, type, severity, version, start date and id of every current incident, grouped
by the first four, and each link table grouped by its value. With these indexes each read is one scan of a narrow
index in group order (no sorting, no look-ups in the wide incidents table). Adding indexes does not touch the rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_incidents_facts": (
        "incidents",
        ["track_id", "tlp", "incident_type_id", "severity", "dataset_version_id", "start_date", "id"],
    ),
    "ix_incident_targets_facts": ("incident_targets", ["iso3", "incident_id"]),
    "ix_incident_initiators_facts": ("incident_initiators", ["iso3", "incident_id"]),
    "ix_incident_sectors_facts": ("incident_sectors", ["sector_id", "incident_id"]),
    "ix_incident_norms_facts": ("incident_norms", ["item_id", "incident_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False, if_not_exists=True)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table, if_exists=True)
