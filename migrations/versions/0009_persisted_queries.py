"""Persisted queries: GraphQL documents by their SHA-256, shared by every worker and instance.

A client of Apollo's automatic persisted queries sends a document's hash instead of the
document; the first time, the service answers PERSISTED_QUERY_NOT_FOUND and the client sends
both, and the document is kept here (once it validates). In allowlist mode only documents
kept here run, and they are registered by `parkgrid persisted register`, not over HTTP.

The documents are operations, not park data: nobody's record is in them, so the table is not
behind the scoped views.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE public.persisted_query (
            sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            document text NOT NULL CHECK (document <> ''),
            registered_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE public.persisted_query")
