"""The principal: who a request acts for, and the grids their assignments reach, as of now.

anonymous (no token) < viewer < cadre (zone lead, grid lead, liaison, by assignment) < admin.
A zone lead manages every grid of the zone, a grid lead their grid; a liaison reads the grids
of their enterprises and changes only those enterprises' visits and issues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.auth import tokens
from parkgrid.errors import Unauthenticated

Kind = Literal["anonymous", "viewer", "cadre", "admin"]

HELD = "a.cadre_id = :cadre AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)"
SCOPE = text(f"""
SELECT
  ARRAY(SELECT a.zone_id FROM public.assignment a WHERE {HELD} AND a.role = 'zone_lead') AS zones,
  ARRAY(SELECT g.id FROM public.grid g JOIN public.assignment a ON a.zone_id = g.zone_id
        WHERE {HELD} AND a.role = 'zone_lead') AS zone_grids,
  ARRAY(SELECT a.grid_id FROM public.assignment a WHERE {HELD} AND a.role = 'grid_lead') AS grids,
  ARRAY(SELECT a.enterprise_id FROM public.assignment a WHERE {HELD} AND a.role = 'liaison')
    AS enterprises,
  ARRAY(SELECT DISTINCT e.grid_id FROM public.enterprise e
        JOIN public.assignment a ON a.enterprise_id = e.id
        WHERE {HELD} AND a.role = 'liaison' AND e.grid_id IS NOT NULL) AS liaison_grids
""")

Ids = frozenset[int]


@dataclass(frozen=True)
class Principal:
    kind: Kind = "anonymous"
    token_id: int | None = None
    cadre_id: int | None = None
    zones: Ids = frozenset()
    zone_grids: Ids = frozenset()
    grids: Ids = frozenset()
    enterprises: Ids = frozenset()
    liaison_grids: Ids = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    @property
    def is_staff(self) -> bool:
        return self.kind != "anonymous"

    @property
    def managed_grids(self) -> Ids:
        """Grids whose records this principal may change (as zone or grid lead)."""
        return self.zone_grids | self.grids

    @property
    def read_grids(self) -> Ids:
        """Grids whose personal and sensitive fields this principal may read."""
        return self.managed_grids | self.liaison_grids

    def settings(self) -> dict[str, str]:
        """The transaction settings the scoped views and the event log read."""
        grids = ",".join(str(g) for g in sorted(self.read_grids))
        return {
            "parkgrid.principal": self.kind,
            "parkgrid.cadre_id": "" if self.cadre_id is None else str(self.cadre_id),
            "parkgrid.actor_id": "" if self.cadre_id is None else str(self.cadre_id),
            "parkgrid.token_id": "" if self.token_id is None else str(self.token_id),
            "parkgrid.read_grids": "{" + grids + "}",
        }


ANONYMOUS = Principal()


def bearer_secret(header: str) -> str:
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return secret.strip()


def checked_token(conn: Connection, secret: str, at: datetime) -> tokens.Token:
    token = tokens.find(conn, secret)
    if token is None:
        raise Unauthenticated("unknown token")
    if token.revoked_at is not None:
        raise Unauthenticated("the token was revoked")
    if not token.valid_at(at):
        raise Unauthenticated("the token has expired")
    return token


def cadre_scope(conn: Connection, token: tokens.Token, at: datetime) -> Principal:
    row = conn.execute(SCOPE, {"cadre": token.cadre_id, "at": at}).one()
    return Principal(
        kind="cadre",
        token_id=token.id,
        cadre_id=token.cadre_id,
        zones=frozenset(row.zones),
        zone_grids=frozenset(row.zone_grids),
        grids=frozenset(row.grids),
        enterprises=frozenset(row.enterprises),
        liaison_grids=frozenset(row.liaison_grids),
    )


def authenticate(conn: Connection, header: str | None, at: datetime) -> Principal:
    """The principal of an Authorization header; no header is anonymous, a bad one is
    UNAUTHENTICATED (never anonymous)."""
    if header is None:
        return ANONYMOUS
    token = checked_token(conn, bearer_secret(header), at)
    if token.role == "cadre":
        return cadre_scope(conn, token, at)
    kind: Kind = "admin" if token.role == "admin" else "viewer"
    return Principal(kind=kind, token_id=token.id, cadre_id=token.cadre_id)
