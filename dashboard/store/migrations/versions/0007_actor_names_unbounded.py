"""incidents.initiator_name is text without a length limit: the alias lists of the largest state operations
(APT28, Sandworm, Lazarus, APT29 in EuRepoC) run to 480 characters and were refused at 200

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column("initiator_name", existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    # Names longer than 200 characters are cut to fit the old column (a downgrade loses their tail).
    op.execute(sa.text("UPDATE incidents SET initiator_name = substr(initiator_name, 1, 200) "
                       "WHERE length(initiator_name) > 200"))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column("initiator_name", existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=False)
