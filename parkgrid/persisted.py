"""Persisted GraphQL documents, kept in PostgreSQL so every worker and instance shares them:
a document's SHA-256 (lower-case hex of its UTF-8 text, as Apollo's automatic persisted
queries compute it) and the text."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.db import Database

LOOKUP = (
    "SELECT (SELECT document FROM public.persisted_query WHERE sha256 = %(sha256)s) AS document"
)
"""One row always, its document null when the hash is unknown."""
REGISTER = text(
    "INSERT INTO public.persisted_query (sha256, document) VALUES (:sha256, :document)"
    " ON CONFLICT (sha256) DO NOTHING RETURNING sha256"
)
LISTED = text("SELECT sha256, registered_at, document FROM public.persisted_query ORDER BY 2, 1")


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def lookup(db: Database, sha256: str) -> str | None:
    """The document of this hash, or None; one round trip on the read pool."""
    row = await db.at_once([(LOOKUP, True)], {"sha256": sha256})
    found: str | None = row["document"]
    return found


def register(conn: Connection, document: str) -> bool:
    """Keep the document under its hash; True when it was not kept already."""
    inserted = conn.execute(REGISTER, {"sha256": digest(document), "document": document})
    return inserted.first() is not None


def listed(conn: Connection) -> list[tuple[str, datetime, str]]:
    return [(row.sha256, row.registered_at, row.document) for row in conn.execute(LISTED)]
