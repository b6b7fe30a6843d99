"""Subscriptions over WebSocket: the graphql-transport-ws protocol as strawberry speaks it, with
what this service adds to it.

- The token comes in `connection_init` (`{"Authorization": "Bearer ..."}`), checked by the same
  rules as over HTTP; a bad one closes the connection with 4403 and the reason. No token is
  anonymous. The connection carries subscriptions only: queries and mutations go over HTTP,
  where each request is checked as it comes.
- While connected, the token is checked again every `token_check_s` seconds (and with every
  item sent, see schema.live_stream): once revoked or expired, the connection closes with 4401
  and the reason.
- The server pings (`{"type": "ping"}`) every `keep_alive_interval` seconds, so proxies keep
  an idle connection open; clients answer with a pong, as the protocol asks.
- Once the service has closed the connection, what strawberry still sends (an operation's
  `complete`, its own close) goes nowhere instead of failing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, OperationType
from starlette.websockets import (
    WebSocket,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected as ClientGone
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from parkgrid import metrics
from parkgrid.auth.principal import ANONYMOUS, authenticate
from parkgrid.changes import Changes
from parkgrid.db import Database
from parkgrid.errors import ParkgridError, Unauthenticated, Unavailable
from schema.context import Context, Live
from schema.live_stream import CloseCode

KEEP_ALIVE_S = 15.0
TOKEN_CHECK_S = 30.0
INIT_WAIT_S = 10.0
"""How long a new connection may take to send `connection_init` (then 4408)."""
NOT_HERE = (
    "this connection carries subscriptions; send queries and mutations over HTTP (POST /graphql)"
)


def closer(socket: WebSocket) -> Callable[[int, str], Awaitable[None]]:
    """Close `socket` with a code and reason; once closed, closing again does nothing."""

    async def close(code: int, reason: str) -> None:
        if socket.application_state == WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(WebSocketDisconnected, OSError):
            await socket.close(code=code, reason=reason[:120])  # a close frame holds 123 bytes

    return close


def live_of(socket: WebSocket) -> Live:
    changes: Changes = socket.app.state.changes
    db: Database = socket.app.state.db
    return Live(changes, db, closer(socket))


class LiveSocket(ASGIWebSocketAdapter):
    """Strawberry's adapter, sending text frames (the protocol's messages are text; the view
    encodes JSON as bytes, which would go out as binary frames), and silent once the
    connection is closed (by the service, with its own code and reason)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as gone:
            raise ClientGone from gone
        except WebSocketDisconnected:  # closed meanwhile
            return

    async def close(self, code: int, reason: str) -> None:
        await closer(self.ws)(code, reason)


async def connect(context: Context) -> None:
    """Accept `connection_init`: the caller is the token its payload names, or anonymous."""
    live = context.live
    assert live is not None
    params = context.connection_params or {}
    header = params.get("Authorization", params.get("authorization"))
    try:
        if header is not None and not isinstance(header, str):
            raise Unauthenticated("the Authorization value must be 'Bearer <token>'")
        principal = ANONYMOUS
        if header is not None:
            principal = await live.db.read(authenticate, header, datetime.now(UTC))
    except (Unauthenticated, Unavailable) as refused:
        code = CloseCode.TOKEN_REFUSED if isinstance(refused, Unauthenticated) else 4503
        await live.close(int(code), refused.message)
        raise ConnectionRejectionError() from refused
    context.principal = principal
    context.db = live.db.scoped(principal.settings()) if principal.is_staff else live.db
    live.authorization = header


class LiveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with keep-alive pings, a token watchdog, subscriptions only."""

    tasks: tuple[asyncio.Task[None], ...] = ()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and not self.tasks:
            view: Any = self.view
            self.tasks = (
                asyncio.create_task(self.pinging(view.keep_alive_interval)),
                asyncio.create_task(self.watching(view.token_check_s)),
            )

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and not self.is_subscription(message):
            error = GraphQLError(NOT_HERE, extensions={"code": "BAD_REQUEST"})
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)
        started = self.operations.get(message["id"])
        if started is not None and started.task is not None:  # open until its task ends
            metrics.SUBSCRIPTIONS_OPEN.inc()
            started.task.add_done_callback(lambda _: metrics.SUBSCRIPTIONS_OPEN.dec())

    async def send_message(self, message: Any) -> None:
        if message.get("type") == "next":
            metrics.SUBSCRIPTION_MESSAGES.inc()
        await super().send_message(message)

    def is_subscription(self, message: SubscribeMessage) -> bool:
        """Whether the message asks for a subscription; a document that does not parse or
        validate is left for strawberry to refuse."""
        payload = message.get("payload") or {}
        fast = getattr(self.view, "fast", None)
        if fast is None or not isinstance(payload.get("query"), str):
            return True
        prepared = fast.operation(payload["query"], payload.get("operationName"))
        node = prepared.node
        return node is None or node.operation == OperationType.SUBSCRIPTION

    async def pinging(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.send_message({"type": "ping"})

    async def watching(self, interval: float) -> None:
        """End the connection once its token is no longer good."""
        live = self.context.live
        if live is None or live.authorization is None:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                await live.db.read(authenticate, live.authorization, datetime.now(UTC))
            except Unauthenticated as refused:
                await live.close(int(CloseCode.TOKEN_INVALID), refused.message)
                return
            except ParkgridError:  # the database away: checked again next time
                continue

    async def shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await super().shutdown()
