"""The principal: who a request acts for, and the grids their assignments reach, as of now.

anonymous (no token) < viewer < cadre (zone lead, grid lead, liaison, by assignment) < admin.
A zone lead manages every grid of the zone, a grid lead their grid; a liaison reads the grids
of their enterprises and changes only those enterprises' visits and issues."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy.engine import Connection

from parkgrid import prepared
from parkgrid.auth import tokens
from parkgrid.errors import Unauthenticated
from parkgrid.vocabulary import held_at

Kind = Literal["anonymous", "viewer", "cadre", "admin"]

# only a cadre's token reaches grids through assignments (an admin's or viewer's may name one):
# its assignments held now are read once (h), the scope's arrays from them
HELD = f"""
h AS MATERIALIZED (
  SELECT a.role, a.zone_id, a.grid_id, a.enterprise_id FROM t
  JOIN public.assignment a ON a.cadre_id = t.cadre_id
  WHERE t.role = 'cadre' AND {held_at("a", "%(at)s")})"""
SCOPE_ARRAYS = {
    "zones": "SELECT h.zone_id FROM h WHERE h.role = 'zone_lead'",
    "zone_grids": "SELECT g.id FROM public.grid g"
    " WHERE g.zone_id IN (SELECT h.zone_id FROM h WHERE h.role = 'zone_lead')",
    "grids": "SELECT h.grid_id FROM h WHERE h.role = 'grid_lead'",
    "enterprises": "SELECT h.enterprise_id FROM h WHERE h.role = 'liaison'",
    "liaison_grids": "SELECT DISTINCT e.grid_id FROM public.enterprise e"
    " JOIN h ON h.enterprise_id = e.id WHERE h.role = 'liaison' AND e.grid_id IS NOT NULL",
}
SCOPE = ", ".join(f"ARRAY({query}) AS {name}" for name, query in SCOPE_ARRAYS.items())

# Why a token is refused, decided where it is read: NULL for a good token.
REFUSAL = (
    "CASE WHEN t.revoked_at IS NOT NULL THEN 'the token was revoked'"
    " WHEN t.expires_at IS NOT NULL AND t.expires_at <= %(at)s THEN 'the token has expired' END"
)


READ_GRIDS = """'{' || array_to_string(ARRAY(
    SELECT DISTINCT g FROM unnest(s.zone_grids || s.grids || s.liaison_grids) AS g ORDER BY g
), ',') || '}'"""


def granted(value: str) -> str:
    """A setting's value for a good token; nothing for a refused one."""
    return f"CASE WHEN s.refusal IS NULL THEN {value} ELSE '' END"


# The token, the grids its cadre's assignments reach now, and the transaction settings the
# scoped views read, in one statement. A refused token sets no scope, only its refusal; an
# unknown one sets nothing (no row).
SIGN_IN = f"""
WITH t AS (SELECT {tokens.COLUMNS}, {REFUSAL} AS refusal
           FROM public.api_token t WHERE t.token_hash = %(digest)s),{HELD},
s AS (SELECT t.*, {SCOPE} FROM t)
SELECT s.*,
  set_config('parkgrid.refusal', coalesce(s.refusal, ''), true) AS refusal_set,
  set_config('parkgrid.principal', {granted("s.role")}, true) AS principal_set,
  set_config('parkgrid.cadre_id', {granted("coalesce(CAST(s.cadre_id AS text), '')")}, true)
    AS cadre_set,
  set_config('parkgrid.actor_id', {granted("coalesce(CAST(s.cadre_id AS text), '')")}, true)
    AS actor_set,
  set_config('parkgrid.token_id', {granted("CAST(s.id AS text)")}, true) AS token_set,
  set_config('parkgrid.read_grids', {granted(READ_GRIDS)}, true) AS grids_set
FROM s
"""
SIGNED_IN = (
    "current_setting('parkgrid.token_id', true) AS token_id,"
    " current_setting('parkgrid.refusal', true) AS refusal"
)
"""What a statement after SIGN_IN, in the same transaction, reads to learn how it went."""
READ_SETTINGS = ("parkgrid.principal", "parkgrid.cadre_id", "parkgrid.read_grids")
"""The settings of `Principal.settings` that what a caller reads depends on (the others name
who writes)."""
SIGNED_IN_SCOPE = f"SELECT {SIGNED_IN}, " + ", ".join(
    f"current_setting('{name}', true) AS \"{name}\"" for name in READ_SETTINGS
)
"""After SIGN_IN: how it went, and the scope it set for reading."""

Ids = frozenset[int]
SCOPE_FIELDS = ("zones", "zone_grids", "grids", "enterprises", "liaison_grids")


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


def check_signed_in(token_id: str | None, refusal: str | None) -> None:
    """UNAUTHENTICATED unless SIGN_IN accepted the token (its id set, no refusal)."""
    if refusal:
        raise Unauthenticated(refusal)
    if not token_id:
        raise Unauthenticated("unknown token")


def signed_in_scope(row: Mapping[str, Any]) -> dict[str, str]:
    """The read scope of SIGNED_IN_SCOPE's row; UNAUTHENTICATED when the token was refused."""
    check_signed_in(row["token_id"], row["refusal"])
    return {name: row[name] or "" for name in READ_SETTINGS}


def sign_in_params(header: str, at: datetime) -> dict[str, Any]:
    return {"digest": tokens.digest(bearer_secret(header)), "at": at}


def principal_of_row(row: Any) -> Principal:
    ids = {name: frozenset(getattr(row, name)) for name in SCOPE_FIELDS}
    return Principal(kind=cast(Kind, row.role), token_id=row.id, cadre_id=row.cadre_id, **ids)


def authenticate(conn: Connection, header: str | None, at: datetime) -> Principal:
    """The principal of an Authorization header; no header is anonymous, a bad one is
    UNAUTHENTICATED (never anonymous). Leaves the caller's scope set in the transaction."""
    if header is None:
        return ANONYMOUS
    row = prepared.execute(conn, SIGN_IN, sign_in_params(header, at)).first()
    check_signed_in(row and str(row.id), row and row.refusal)
    return principal_of_row(row)
