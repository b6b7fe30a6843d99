"""Mutation results: a success type or a typed error, as a union. Expected failures are
values the client reads (field, code, message); a refused mutation changed nothing, because
the transaction that would have changed it is rolled back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import strawberry

from parkgrid.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ParkgridError,
    TimedOut,
    Unavailable,
)
from resolvers.writes.access import require_writer
from schema.context import Info

T = TypeVar("T")
R = TypeVar("R")


@strawberry.interface(description="Why a mutation was refused; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str = strawberry.field(
        description="What went wrong, for code to switch on (see the result union's list)."
    )
    message: str = strawberry.field(description="What went wrong, in English, for people.")


@strawberry.type(description="An input value is missing, malformed or not allowed.")
class InvalidInputError(UserError):
    pass


@strawberry.type(description="A record named in the input does not exist.")
class NotFoundError(UserError):
    pass


@strawberry.type(
    description="The change clashes with the current state: the record changed since it was"
    " read (reload and retry), another cadre holds the role now (end that first), or what it"
    " would create exists already (an enterprise's credit code)."
)
class ConflictError(UserError):
    pass


@strawberry.type(description="The issue cannot move from its status to the one asked.")
class InvalidTransitionError(UserError):
    pass


@strawberry.type(
    description="The caller's token (or its absence) does not allow this change: a viewer or"
    " anonymous caller changes nothing, a cadre only what their assignments cover."
)
class ForbiddenError(UserError):
    pass


ERROR_TYPES: dict[type[ParkgridError], type[UserError]] = {
    Conflict: ConflictError,
    Forbidden: ForbiddenError,
    InvalidTransition: InvalidTransitionError,
    NotFound: NotFoundError,
}


AnyUserError = (
    InvalidInputError | NotFoundError | ConflictError | InvalidTransitionError | ForbiddenError
)
"""Every typed error; mutation result unions are `<Payload> | AnyUserError`."""


def error_type(error: type[ParkgridError]) -> type[UserError]:
    """The typed error a mutation answers an expected error of this class with."""
    return next((t for e, t in ERROR_TYPES.items() if issubclass(error, e)), InvalidInputError)


def user_error(error: ParkgridError) -> AnyUserError:
    kind = error_type(type(error))
    return kind(field=error.field, code=error.code, message=error.message)  # type: ignore[return-value]


def descendants(root: type[ParkgridError]) -> Iterator[type[ParkgridError]]:
    yield root
    for child in root.__subclasses__():
        yield from descendants(child)


def codes_by_type() -> dict[str, list[str]]:
    """The codes each typed error carries: those of the errors a mutation reports as values
    (bad input and the classes of ERROR_TYPES; not the request's own troubles, such as the
    database being unavailable, which stay request errors)."""
    found: dict[str, set[str]] = {}
    roots: list[type[ParkgridError]] = [InvalidInput, *ERROR_TYPES]
    for root in roots:
        for error in descendants(root):
            found.setdefault(error_type(error).__name__, set()).add(error.code)
    return {name: sorted(codes) for name, codes in found.items()}


async def attempt(
    info: Info,
    work: Callable[..., T],
    *args: Any,
    to_payload: Callable[[T], Awaitable[R] | R],
) -> R | AnyUserError:
    """Run `work(connection, *args)` in one transaction; an expected failure rolls it back
    and comes back as a typed error."""
    try:
        require_writer(info.context.principal)
        done = await info.context.db.write(work, *args)
    except (Unavailable, TimedOut):  # not the input's fault: the request's (503, TIMEOUT)
        raise
    except ParkgridError as error:
        return user_error(error)
    result = to_payload(done)
    return await result if isinstance(result, Awaitable) else result
