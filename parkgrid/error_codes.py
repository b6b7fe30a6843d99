"""What each `extensions.code` means, for the clients that switch on it. The codes themselves
are defined where they are raised (the exception classes' `code`, the HTTP refusals' table in
web.graphql_http, the request-limit table in schema.errors); this is the one place their
meanings are written, and tests/web/test_error_codes.py fails when a code has no meaning here
or a meaning no code. web.error_codes adds each code's HTTP status per route."""

from __future__ import annotations

MEANINGS = {
    "BAD_REQUEST": "The HTTP request is not a GraphQL request (not a JSON object, unknown"
    " parts, a subscription over HTTP, a malformed persisted query); or a WebSocket message"
    " the protocol does not allow.",
    "PAYLOAD_TOO_LARGE": "The body (or upload) is over its size limit.",
    "UNSUPPORTED_MEDIA_TYPE": "The body is not application/json (or multipart/form-data with"
    " files).",
    "METHOD_NOT_ALLOWED": "The HTTP method does not serve this (a mutation by GET).",
    "GRAPHQL_PARSE_FAILED": "The document is not GraphQL.",
    "GRAPHQL_VALIDATION_FAILED": "The document does not fit the schema.",
    "TOO_MANY_TOKENS": "The document is longer than PARKGRID_API_MAX_TOKENS tokens.",
    "QUERY_TOO_DEEP": "The selection nests deeper than PARKGRID_API_MAX_DEPTH.",
    "TOO_MANY_ALIASES": "More aliases than PARKGRID_API_MAX_ALIASES.",
    "OPERATION_RESOLUTION_FAILURE": "operationName names no operation of the document, or"
    " the document has several and none is named.",
    "PERSISTED_QUERY_NOT_FOUND": "The persisted query's hash is unknown: send the document"
    " with it (Apollo's clients do so by themselves).",
    "PERSISTED_QUERY_HASH_MISMATCH": "The document sent does not have the hash sent with it.",
    "PERSISTED_QUERY_NOT_IN_LIST": "Allowlist mode: only registered documents run.",
    "PERSISTED_QUERY_NOT_SUPPORTED": "Persisted queries are off: send the document.",
    "BAD_USER_INPUT": "A value is missing, malformed or out of range; `field` names it (a"
    " variable that does not fit its type, too).",
    "INVALID_GEOMETRY": "A GeoJSON value is malformed, invalid (self-intersecting, unclosed),"
    " outside WGS 84 or has too many positions.",
    "STRING_TOO_LONG": "A string is longer than its limit (stated in the argument's description).",
    "LIST_TOO_LONG": "A list has more items than PARKGRID_API_MAX_LIST_LENGTH.",
    "INVALID_CURSOR": "`after` is not a cursor of this list and ordering.",
    "PAGE_SIZE_EXCEEDED": "`first` or `k` is outside its range (PARKGRID_API_MAX_PAGE_SIZE).",
    "NOT_FOUND": "What the request names does not exist (a code, an ID, a route).",
    "CONFLICT": "The record changed since it was read (reload and retry), another cadre holds"
    " the role, or what would be created exists already.",
    "INVALID_TRANSITION": "The issue cannot move from its status to the one asked.",
    "FORBIDDEN": "The caller's token (or its absence) does not reach this.",
    "UNAUTHENTICATED": "The token is unknown, expired or revoked (never read as anonymous).",
    "SERVICE_UNAVAILABLE": "The database cannot be reached; nothing changed; retry after"
    " Retry-After seconds.",
    "RATE_LIMITED": "The caller (its token, or its address without one) made more requests of"
    " this kind than PARKGRID_RATE_LIMITS allows in the window; nothing was done; retry after"
    " Retry-After seconds.",
    "TIMEOUT": "A statement ran past the statement timeout and was cancelled; nothing changed.",
    "REPLAY_TOO_LONG": "A subscription's `since` is followed by more changes than are replayed:"
    " query again, then subscribe from there.",
    "INTERNAL_SERVER_ERROR": "A fault of the service (logged); the message says no more.",
}
