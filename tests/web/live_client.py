"""A graphql-transport-ws client for the subscription tests: the protocol's messages over a
real WebSocket (the `websockets` package), to a server on 127.0.0.1, with time limits on
every wait."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
WAIT_S = 10.0


class LiveClient:
    """One connection: `connection_init` sent and acknowledged (or refused)."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.pings = 0
        self.held: dict[str, list[dict[str, Any]]] = {}
        """Messages of other subscriptions met while waiting for one: subscriptions are
        ordered each in itself, not with each other."""

    def send(self, message: dict[str, Any]) -> None:
        self.socket.send(json.dumps(message))

    def receive(self, timeout: float = WAIT_S) -> dict[str, Any]:
        """The next message other than a ping (answered with a pong, as clients do)."""
        deadline = time.monotonic() + timeout
        while True:
            raw = self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01))
            assert isinstance(raw, str), "the protocol's messages are text frames"
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                self.pings += 1
                self.send({"type": "pong"})
                continue
            return message

    def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        self.send({"id": id, "type": "subscribe", "payload": payload})

    def items(self, id: str, count: int, timeout: float = WAIT_S) -> list[dict[str, Any]]:
        """The data of the next `count` messages of subscription `id`, failing on errors."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            held = self.held.get(id)
            message = held.pop(0) if held else self.receive(max(deadline - time.monotonic(), 0.01))
            if message.get("id") != id and message["type"] == "next":
                self.held.setdefault(str(message.get("id")), []).append(message)
                continue
            assert message.get("id") == id, message
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message["payload"]
            found.append(message["payload"]["data"])
        return found

    def quiet(self, seconds: float = 1.0) -> None:
        """Nothing arrives for `seconds` (pings aside), and nothing is held."""
        assert not any(self.held.values()), self.held
        try:
            message = self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, got {message}")

    def closed(self, timeout: float = WAIT_S) -> tuple[int, str]:
        """The close code and reason, once the server closes the connection."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.receive(max(deadline - time.monotonic(), 0.01))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, closed.rcvd.reason
        raise AssertionError("the connection stayed open")


@contextmanager
def live(base: str, token: str | None = None, acknowledged: bool = True) -> Iterator[LiveClient]:
    """A connection to `base` (http://127.0.0.1:port), initialised with `token` (None:
    anonymous); `acknowledged` checks the server's connection_ack."""
    url = base.replace("http://", "ws://", 1) + "/graphql"
    with connect(url, subprotocols=[PROTOCOL], open_timeout=WAIT_S, max_size=None) as socket:
        assert socket.subprotocol == PROTOCOL
        client = LiveClient(socket)
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        client.send({"type": "connection_init", "payload": payload})
        if acknowledged:
            assert client.receive()["type"] == "connection_ack"
        yield client
