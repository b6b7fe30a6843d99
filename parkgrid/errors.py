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
    """The write clashes with what is stored: the record changed since the client read it
    (its version moved on), or what it would create exists already."""

    code = "CONFLICT"


class InvalidTransition(ParkgridError):
    code = "INVALID_TRANSITION"


class Unauthenticated(ParkgridError):
    """The request carried a token that is unknown, expired or revoked."""

    code = "UNAUTHENTICATED"


class Forbidden(ParkgridError):
    """The caller's role or assignments do not reach the record."""

    code = "FORBIDDEN"


class MethodNotAllowed(ParkgridError):
    code = "METHOD_NOT_ALLOWED"


class Unavailable(ParkgridError):
    """The database cannot be reached (down, restarting, or every connection busy): the
    request changed nothing and may be sent again after `retry_after` seconds."""

    code = "SERVICE_UNAVAILABLE"
    retry_after = 5


class TimedOut(ParkgridError):
    """A statement ran past the statement timeout and was cancelled (nothing changed)."""

    code = "TIMEOUT"


class ReplayTooLong(ParkgridError):
    """More changes followed a subscription's `since` than it replays: the client re-queries
    and subscribes from where that leaves it."""

    code = "REPLAY_TOO_LONG"


class RateLimited(ParkgridError):
    """The caller made more requests of a kind than the window allows (nothing was done):
    send again after `retry_after` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
