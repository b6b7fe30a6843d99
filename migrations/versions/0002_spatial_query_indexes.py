"""Indexes for spatial and text queries: geodesic nearest-neighbour, name search, visits by time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # KNN (<->) and ST_DWithin on geography use this, so nearest and near are geodesic
    "CREATE INDEX enterprise_location_geography ON enterprise USING gist ((location::geography))",
    "CREATE INDEX enterprise_name_trgm ON enterprise USING gin (name gin_trgm_ops)",
    "CREATE INDEX enterprise_uscc_trgm ON enterprise USING gin (uscc gin_trgm_ops)",
    "CREATE INDEX enterprise_industry ON enterprise (industry)",
    "CREATE INDEX visit_at ON visit (visited_at)",
    "CREATE INDEX issue_reported_at ON issue (reported_at)",
    # open issues are few: counting them per enterprise probes this small index
    "CREATE INDEX issue_open_enterprise ON issue (enterprise_id)"
    " WHERE status NOT IN ('closed', 'rejected')",
]

DOWNGRADE = [
    "DROP INDEX issue_open_enterprise",
    "DROP INDEX issue_reported_at",
    "DROP INDEX visit_at",
    "DROP INDEX enterprise_industry",
    "DROP INDEX enterprise_uscc_trgm",
    "DROP INDEX enterprise_name_trgm",
    "DROP INDEX enterprise_location_geography",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
