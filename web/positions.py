"""The caller's write position on every request: read from the `Parkgrid-Position` header a
client echoes, written to the response of a request that wrote (see parkgrid.positions)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parkgrid.errors import InvalidInput
from parkgrid.positions import CALLER, HEADER, Caller, caller_key, lsn, lsn_text
from web.middleware import refusal


def caller_of(scope: Scope) -> Caller:
    """The request's caller; ValueError for a position header that is none."""
    headers = Headers(scope=scope)
    authorization = headers.get("authorization")
    echoed = headers.get(HEADER)
    return Caller(
        key=caller_key(authorization) if authorization else None,
        echoed=lsn(echoed) if echoed else 0,
        primary=scope["type"] == "websocket",
    )


class TrackPositions:
    """Sets the caller for the request's reads and writes; answers its position."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        try:
            caller = caller_of(scope)
        except ValueError as error:
            if scope["type"] == "websocket":
                caller = Caller(primary=True)
            else:
                bad = InvalidInput(str(error), field="Parkgrid-Position")
                return await refusal(scope["path"], bad)(scope, receive, send)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and caller.wrote:
                headers = [*message.get("headers", []), (HEADER.encode(),
                           lsn_text(caller.wrote).encode())]  # fmt: skip
                message = {**message, "headers": headers}
            await send(message)

        reset = CALLER.set(caller)
        try:
            await self.app(scope, receive, sending)
        finally:
            CALLER.reset(reset)
