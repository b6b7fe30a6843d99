"""Expected errors, each with the code clients see in `extensions.code`."""

from __future__ import annotations


class ParkgridError(Exception):
    """An error the user can act on; never masked."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ParkgridError):
    code = "NOT_FOUND"


class InvalidInput(ParkgridError):
    code = "BAD_USER_INPUT"


class InvalidGeometry(InvalidInput):
    code = "INVALID_GEOMETRY"


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


class PageSizeExceeded(InvalidInput):
    code = "PAGE_SIZE_EXCEEDED"


class Conflict(ParkgridError):
    """The record changed since the client read it (its version moved on)."""

    code = "CONFLICT"


class InvalidTransition(ParkgridError):
    code = "INVALID_TRANSITION"


class Unauthenticated(ParkgridError):
    """The request carried a token that is unknown, expired or revoked."""

    code = "UNAUTHENTICATED"


class Forbidden(ParkgridError):
    """The caller's role or assignments do not reach the record."""

    code = "FORBIDDEN"
