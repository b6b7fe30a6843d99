"""The principal: who a request acts for, and the grids their assignments reach, as of now.

anonymous (no token) < viewer < cadre (zone lead, grid lead, liaison, by assignment) < admin.
A zone lead manages every grid of the zone, a grid lead their grid; a liaison reads the grids
of their enterprises and changes only those enterprises' visits and issues."""

from __future__ import annotations

import re
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
# its assignments held now are read once (h), each with the grid it reaches (a zone lead's
# every grid of the zone, a grid lead's grid, a liaison's enterprise's grid), the scope's
# arrays and the grids it reads from them
HELD = f"""
h AS MATERIALIZED (
  SELECT a.role, a.zone_id, a.grid_id, a.enterprise_id,
         coalesce(a.grid_id, g.id, e.grid_id) AS reached
  FROM t JOIN public.assignment a ON a.cadre_id = t.cadre_id
  LEFT JOIN public.grid g ON g.zone_id = a.zone_id
  LEFT JOIN public.enterprise e ON e.id = a.enterprise_id
  WHERE t.role = 'cadre' AND {held_at("a", "%(at)s")})"""
REACHED = "h.reached IS NOT NULL"
SCOPE_ARRAYS = {
    "zones": "SELECT DISTINCT h.zone_id FROM h WHERE h.role = 'zone_lead'",
    "zone_grids": f"SELECT h.reached FROM h WHERE h.role = 'zone_lead' AND {REACHED}",
    "grids": "SELECT h.grid_id FROM h WHERE h.role = 'grid_lead'",
    "enterprises": "SELECT h.enterprise_id FROM h WHERE h.role = 'liaison'",
    "liaison_grids": f"SELECT DISTINCT h.reached FROM h WHERE h.role = 'liaison' AND {REACHED}",
}
SCOPE = ", ".join(f"ARRAY({query}) AS {name}" for name, query in SCOPE_ARRAYS.items())
READ_GRIDS = (
    "'{' || array_to_string(ARRAY(SELECT DISTINCT h.reached FROM h"
    f" WHERE {REACHED} ORDER BY h.reached), ',') || '}}'"
)
"""The grids whose personal fields the token's cadre reads (Principal.read_grids: the grids
its assignments reach, whatever the role), as the setting's text: `{}` for other tokens."""

# Why a token is refused, decided where it is read: NULL for a good token.
REFUSAL = (
    "CASE WHEN t.revoked_at IS NOT NULL THEN 'the token was revoked'"
    " WHEN t.expires_at IS NOT NULL AND t.expires_at <= %(at)s THEN 'the token has expired' END"
)


def granted(value: str) -> str:
    """A setting's value for a good token; nothing for a refused one."""
    return f"CASE WHEN s.refusal IS NULL THEN {value} ELSE '' END"


TOKEN = f"""
t AS (SELECT {tokens.COLUMNS}, {REFUSAL} AS refusal
      FROM public.api_token t WHERE t.token_hash = %(digest)s),{HELD}"""
SETTINGS = {
    "parkgrid.refusal": "coalesce(s.refusal, '')",
    "parkgrid.principal": granted("s.role"),
    "parkgrid.cadre_id": granted("coalesce(CAST(s.cadre_id AS text), '')"),
    "parkgrid.actor_id": granted("coalesce(CAST(s.cadre_id AS text), '')"),
    "parkgrid.token_id": granted("CAST(s.id AS text)"),
    "parkgrid.read_grids": granted("s.read_grids"),
}
"""The transaction settings the scoped views and the event log read, from the row `s`."""
SET = ", ".join(f"set_config('{name}', {value}, true)" for name, value in SETTINGS.items())

# The token, the grids its cadre's assignments reach now, and the settings, in one statement.
# A refused token sets no scope, only its refusal; an unknown one sets nothing (no row).
SIGN_IN = f"""
WITH {TOKEN},
s AS MATERIALIZED (SELECT t.*, {SCOPE}, {READ_GRIDS} AS read_grids FROM t)
SELECT s.*, num_nulls({SET}) AS unset FROM s
"""
SIGN_IN_TO_READ = f"""
WITH {TOKEN}
SELECT num_nulls({SET}) AS unset FROM (SELECT t.*, {READ_GRIDS} AS read_grids FROM t) s
"""
"""SIGN_IN for a statement that follows it in the same text (a compiled read): the settings
only, no scope arrays to return; the statement after it reads how it went (SIGNED_IN)."""
SIGNED_IN = (
    "current_setting('parkgrid.token_id', true) AS token_id,"
    " current_setting('parkgrid.refusal', true) AS refusal,"
    " current_setting('parkgrid.principal', true) AS principal"
)
"""What a statement after SIGN_IN, in the same transaction, reads to learn how it went."""
TOKEN_CHECKED = (
    "(SELECT CAST(t.id AS text) FROM public.api_token t"
    f" WHERE t.token_hash = %(digest)s AND ({REFUSAL}) IS NULL) AS token_id,"
    f" (SELECT {REFUSAL} FROM public.api_token t WHERE t.token_hash = %(digest)s) AS refusal,"
    " (SELECT CAST(t.role AS text) FROM public.api_token t"
    f" WHERE t.token_hash = %(digest)s AND ({REFUSAL}) IS NULL) AS principal"
)
"""The token's check as columns of the reading statement itself, for one that reads nothing
the caller's scope decides: the same answers as SIGNED_IN after SIGN_IN (the id of a good
token, the refusal of a bad one, neither for an unknown one), in the same snapshot."""
SCOPED_VIEWS = (
    "activity_cadre", "activity_enterprise", "activity_issue", "api_token", "assignment",
    "cadre", "construction_project", "event", "hiring_plan", "infrastructure_line", "issue",
    "outcome", "party_election", "party_honour", "party_meeting", "party_organisation",
    "party_pipeline", "project_issue", "project_milestone", "project_progress",
    "recruitment_event", "recruitment_hire", "safety_standardisation", "service_activity",
    "visit",
)  # fmt: skip
"""The relations of the scoped schema (parkgrid_scoped, migrations 0004 and 0008): what they
show depends on the caller's settings. tests/parkgrid/test_principal_scope.py holds this list to
the database's."""
READS_SCOPED = re.compile(r"\b(?:" + "|".join(SCOPED_VIEWS) + r")\b")


def scope_needed(sql: str) -> bool:
    """Whether a statement may read a scoped view: it names one (a relation is read only by
    its name; a false alarm, such as a response key `issue`, costs only the scope's
    statement)."""
    return READS_SCOPED.search(sql) is not None


def signed(sql: str) -> str:
    """A reading statement (a SELECT list) with the columns that say how its token's check
    went: the settings SIGN_IN_TO_READ leaves when the statement needs the caller's scope,
    else the check itself, so that no second statement is sent (reading_as)."""
    return f"{sql}, {SIGNED_IN if scope_needed(sql) else TOKEN_CHECKED}"


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


def reading_as(
    header: str | None, at: datetime, sql: str, params: Mapping[str, Any]
) -> tuple[list[tuple[str, bool]], dict[str, Any]]:
    """The statements of one round trip that reads `sql` (made by `signed`) as the header's
    token, and their parameters: with a header, the token's check and the caller's scope
    first, in the same transaction, when the statement reads a scoped view; else the
    statement checks the token itself."""
    statements, values = [(sql, True)], dict(params)
    if header is not None:
        if not sql.endswith(TOKEN_CHECKED):  # it reads SIGNED_IN: the scope goes first
            statements.insert(0, (SIGN_IN_TO_READ, True))
        values.update(sign_in_params(header, at))
    return statements, values


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
