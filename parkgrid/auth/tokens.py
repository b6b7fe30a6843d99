"""Bearer tokens: random, shown once, stored only as a SHA-256 digest; they can expire and be
revoked. A fast digest is enough: the tokens carry 256 random bits, nothing to guess."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput, NotFound
from parkgrid.vocabulary import TOKEN_ROLES

PREFIX = "pgt_"
COLUMNS = "t.id, t.role, t.cadre_id, t.label, t.created_at, t.expires_at, t.revoked_at"
INSERT = text(
    "INSERT INTO public.api_token AS t (token_hash, role, cadre_id, label, expires_at)"
    " VALUES (:digest, :role, :cadre, :label, now() + :lifetime)"
    f" RETURNING {COLUMNS}"
)
REVOKE = text(
    "UPDATE public.api_token AS t SET revoked_at = coalesce(t.revoked_at, now())"
    f" WHERE t.id = :id RETURNING {COLUMNS}"
)


@dataclass(frozen=True)
class Token:
    id: int
    role: str
    cadre_id: int | None
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = None
    last_used_from: str | None = None
    """When and from which address the token was last used (at most a minute old: see
    parkgrid.operations); listed, not read at sign-in."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def check_role(role: str, cadre_id: int | None) -> None:
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"must be one of {', '.join(TOKEN_ROLES)}", field="role")
    if role == "cadre" and cadre_id is None:
        raise InvalidInput("a cadre's token names the cadre", field="cadre")


def create(
    conn: Connection,
    role: str,
    cadre_id: int | None = None,
    label: str | None = None,
    lifetime: timedelta | None = None,
) -> tuple[str, Token]:
    """A new token: the secret (shown once, never stored) and its record."""
    check_role(role, cadre_id)
    if cadre_id is not None and not cadre_exists(conn, cadre_id):
        raise NotFound(f"no cadre has id {cadre_id}", field="cadre")
    secret = new_secret()
    params = {"digest": digest(secret), "role": role, "cadre": cadre_id, "label": label,
              "lifetime": lifetime}  # fmt: skip
    return secret, Token(**conn.execute(INSERT, params).one()._mapping)


def cadre_exists(conn: Connection, cadre_id: int) -> bool:
    found = conn.execute(text("SELECT 1 FROM public.cadre WHERE id = :id"), {"id": cadre_id})
    return found.first() is not None


def revoke(conn: Connection, token_id: int) -> Token:
    row = conn.execute(REVOKE, {"id": token_id}).first()
    if row is None:
        raise NotFound(f"no token has id {token_id}", field="id")
    return Token(**row._mapping)


def listing(conn: Connection) -> list[Token]:
    used = "t.last_used_at, host(t.last_used_from) AS last_used_from"
    rows = conn.execute(text(f"SELECT {COLUMNS}, {used} FROM public.api_token t ORDER BY t.id"))
    return [Token(**row._mapping) for row in rows]


def find(conn: Connection, secret: str) -> Token | None:
    query = text(f"SELECT {COLUMNS} FROM public.api_token t WHERE t.token_hash = :digest")
    row = conn.execute(query, {"digest": digest(secret)}).first()
    return Token(**row._mapping) if row else None
