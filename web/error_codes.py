"""Every `extensions.code` with what it means (parkgrid.error_codes) and the HTTP status it
comes with on each route, derived from the tables that decide those statuses: the refusals
of GraphQL over HTTP (web.graphql_http.REFUSALS), the statuses of expected errors
(web.routes.errors.STATUS), and the rule that a request failing before execution is 400 for
clients of application/graphql-response+json and 200 for the others. `parkgrid schema
--errors` prints the table the README carries; a test keeps the two equal."""

from __future__ import annotations

from dataclasses import dataclass

from parkgrid.error_codes import MEANINGS
from parkgrid.errors import InvalidInput, ParkgridError, ReplayTooLong
from schema.errors import INTERNAL, LIMIT_CODES, VALIDATION_FAILED
from schema.outcomes import descendants
from web.compiled import UNRESOLVED
from web.graphql_http import REFUSALS
from web.persisted import NOT_FOUND_CODE
from web.routes.errors import STATUS

REQUEST_CODES = frozenset({*(code for _, code in LIMIT_CODES), VALIDATION_FAILED, UNRESOLVED,
                           NOT_FOUND_CODE, InvalidInput.code})  # fmt: skip
"""Codes of requests refused before execution (BAD_USER_INPUT: a variable that does not fit)."""
BEFORE_EXECUTION = frozenset({"UNAUTHENTICATED", "SERVICE_UNAVAILABLE", "TIMEOUT", "RATE_LIMITED"})
"""Expected errors that stop a whole /graphql request, answered with their STATUS."""
ROUTES = "/tiles, /ogc, /coverage, /exports"
HEADER = ("code", "meaning", "/graphql (GET, POST)", ROUTES)


def raised_codes() -> set[str]:
    """The codes of the expected errors (every module defining one must be imported)."""
    return {kind.code for kind in descendants(ParkgridError)}


def known_codes() -> set[str]:
    """Every code a client can meet."""
    return raised_codes() | set(REFUSALS) | REQUEST_CODES | {INTERNAL}


def graphql_status(code: str) -> str:
    if code == ReplayTooLong.code:
        return "WebSocket: an `error` message on the subscription"
    if code in REFUSALS:
        return str(REFUSALS[code])
    if code in BEFORE_EXECUTION:
        return f"{STATUS[code]}" + (" (in a query's `errors`: 200)" if code == "TIMEOUT" else "")
    if code in REQUEST_CODES:
        also = " (in `errors` or a mutation's result: 200)" if code == InvalidInput.code else ""
        return "200; 400 with application/graphql-response+json" + also
    return "200 (in `errors`, or a mutation's result union)"


def routes_status(code: str) -> str:
    """Other routes answer expected errors by STATUS, 400 when it has none."""
    if code in raised_codes() and code != ReplayTooLong.code:
        return str(STATUS.get(code, 400))
    return "-"


@dataclass(frozen=True)
class Row:
    code: str
    meaning: str
    graphql: str
    routes: str


def table() -> list[Row]:
    return [
        Row(code, MEANINGS[code], graphql_status(code), routes_status(code))
        for code in sorted(known_codes())
    ]


def markdown() -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    for row in table():
        lines.append(f"| `{row.code}` | {row.meaning} | {row.graphql} | {row.routes} |")
    return "\n".join(lines)
