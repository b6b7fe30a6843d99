"""Per-request context: the database, the API limits, and DataLoaders made for this request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from parkgrid.auth.principal import Principal
from parkgrid.changes import Changes
from parkgrid.db import Database
from parkgrid.errors import Forbidden
from parkgrid.settings import ApiSettings, LedgerSettings

BatchFn = Callable[..., Mapping[Any, Any]]


class Loaders:
    """One DataLoader per (batch function, parameters), created on first use."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache: dict[tuple[BatchFn, tuple[Hashable, ...]], DataLoader[Any, Any]] = {}

    def __call__(self, fn: BatchFn, *params: Hashable) -> DataLoader[Any, Any]:
        key = (fn, params)
        if key not in self.cache:
            self.cache[key] = DataLoader(load_fn=partial(self.batch, fn, params))
        return self.cache[key]

    async def batch(
        self, fn: BatchFn, params: tuple[Hashable, ...], keys: Sequence[Any]
    ) -> list[Any]:
        found = await self.db.read(fn, *params, list(keys))
        return [found.get(key) for key in keys]


def park_today(api: ApiSettings, now: datetime) -> date:
    """Today in the park's time zone: due dates and 'overdue' follow it."""
    return now.astimezone(ZoneInfo(api.timezone)).date()


@dataclass
class Live:
    """What a WebSocket connection's subscriptions need: the process's changes, the app's
    database (unscoped: each delivery signs the token in again, so it reads as the token may
    read at that moment), the connection's Authorization value (from `connection_init`;
    None: anonymous) and how to end the connection with a close code and reason."""

    changes: Changes
    db: Database
    close: Callable[[int, str], Awaitable[None]]
    authorization: str | None = None


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    db: Database
    principal: Principal
    api: ApiSettings
    now: datetime
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    loaders: Loaders = field(init=False)
    batches: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict)
    """Compiled reads of objects by key, batched per field (see schema.reading.entity)."""
    live: Live | None = None
    """Set on WebSocket connections only (see schema.live)."""
    connection_params: dict[str, object] | None = None
    """The `connection_init` payload of a WebSocket connection."""

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)

    @property
    def today(self) -> date:
        return park_today(self.api, self.now)

    def require_staff(self) -> Principal:
        """The principal, or FORBIDDEN for anonymous callers."""
        if not self.principal.is_staff:
            raise Forbidden("sign in: this needs a token (Authorization: Bearer ...)")
        return self.principal


Info = strawberry.Info[Context, None]
