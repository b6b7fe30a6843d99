"""Operations: shared rate-limit counters, when and from where each token was last used, and
pg_stat_statements for the slow-statement report.

The counters are an UNLOGGED table: they are worth nothing after a crash (a window lasts a
minute or so), so their writes skip the WAL, and a replica never carries them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# created where the server has it and the migrating role may; `parkgrid db slow` says what to
# do when it is missing (managed servers often enable it in their own console)
STAT_STATEMENTS = """
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END $$
"""


def upgrade() -> None:
    op.execute(
        """CREATE UNLOGGED TABLE rate_count (
            key text NOT NULL,
            window_number bigint NOT NULL,
            hits integer NOT NULL,
            PRIMARY KEY (key, window_number)
        )"""
    )
    op.execute("ALTER TABLE api_token ADD COLUMN last_used_at timestamptz")
    op.execute("ALTER TABLE api_token ADD COLUMN last_used_from inet")
    op.execute(STAT_STATEMENTS)


def downgrade() -> None:
    op.execute("ALTER TABLE api_token DROP COLUMN last_used_from")
    op.execute("ALTER TABLE api_token DROP COLUMN last_used_at")
    op.execute("DROP TABLE rate_count")
