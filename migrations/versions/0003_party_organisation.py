"""Party organisation of each enterprise, for the "two coverages" of the coverage report.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A branch of its own needs at least three full members; firms with fewer join a joint branch.
UPGRADE = [
    """
    CREATE TABLE party_organisation (
        enterprise_id bigint PRIMARY KEY REFERENCES enterprise (id) ON DELETE CASCADE,
        kind text NOT NULL,
        established date,
        members integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_organisation_kind_known
            CHECK (kind IN ('none', 'own_branch', 'joint_branch')),
        CONSTRAINT party_organisation_members_not_negative CHECK (members >= 0),
        CONSTRAINT party_organisation_none_is_empty
            CHECK (kind <> 'none' OR (established IS NULL AND members = 0)),
        CONSTRAINT party_organisation_own_branch_members
            CHECK (kind <> 'own_branch' OR members >= 3)
    )
    """,
]

DOWNGRADE = ["DROP TABLE party_organisation"]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
