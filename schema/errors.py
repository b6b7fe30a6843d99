"""Errors as clients see them: expected ones keep their message and get a code; the rest
are masked (and logged), so no internals leak."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from parkgrid.errors import ParkgridError

logger = logging.getLogger("parkgrid.graphql")

LIMIT_CODES = (
    ("tokens. Parsing aborted", "TOO_MANY_TOKENS"),
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found", "TOO_MANY_ALIASES"),
    ("Syntax Error", "GRAPHQL_PARSE_FAILED"),
)
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL_SERVER_ERROR"


def request_error_code(message: str) -> str:
    for fragment, code in LIMIT_CODES:
        if fragment in message:
            return code
    return VALIDATION_FAILED


def with_code(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **extensions},
    )


def expected(error: GraphQLError, original: ParkgridError) -> GraphQLError:
    message = f"{original.field}: {original.message}" if original.field else original.message
    return with_code(error, message, {"code": original.code, "field": original.field})


class ErrorCodes(MaskErrors):
    """Every error leaves with `extensions.code`."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ParkgridError):
            return expected(error, original)
        if original is None:
            code = (error.extensions or {}).get("code") or request_error_code(error.message)
            return with_code(error, error.message, {"code": code})
        logger.error("unexpected error in %s", error.path, exc_info=original)
        return with_code(error, "Unexpected error.", {"code": INTERNAL})


def ensure_codes(response: dict[str, Any]) -> dict[str, Any]:
    """Errors raised before execution (parse errors, token limit) get a code too."""
    for error in response.get("errors") or []:
        extensions = error.setdefault("extensions", {})
        extensions.setdefault("code", request_error_code(error.get("message", "")))
    return response
