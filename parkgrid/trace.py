"""What the service knows about the request being answered, wherever its work runs.

The web layer opens a `RequestInfo` for each request (web.observe); the kernel adds to it
without knowing about HTTP: the database layer counts the statements it sends and tags the
transactions it opens with the request id, so PostgreSQL's log and `pg_stat_activity` name
the request a slow statement belongs to. Context variables follow the request into worker
threads (anyio copies the context), so the same record is reached from every part of it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from psycopg2.extensions import TRANSACTION_STATUS_IDLE

APPLICATION = "parkgrid"
NAME_BYTES = 63
"""PostgreSQL keeps the first 63 bytes of `application_name` (NAMEDATALEN - 1)."""
MAX_ID_LENGTH = NAME_BYTES - len(APPLICATION) - 1
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]+")
"""A request id a client may choose: letters, digits and . _ : - (UUIDs, trace ids, a
proxy's $request_id), nothing a log reader or a setting could misread."""


@dataclass
class RequestInfo:
    """One request as the operator sees it: who, what, how it went."""

    request_id: str
    route: str = ""
    operation: str | None = None
    token_id: int | None = None
    role: str = "anonymous"
    statements: int = 0


CURRENT: ContextVar[RequestInfo | None] = ContextVar("parkgrid_request", default=None)


def request_id(given: str | None) -> str:
    """The client's id when it is short and plain, else a new one (never an error: an odd
    header from a proxy must not cost the request)."""
    if given and len(given) <= MAX_ID_LENGTH and SAFE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def current() -> RequestInfo | None:
    return CURRENT.get()


def count_statements(count: int = 1) -> None:
    info = CURRENT.get()
    if info is not None:
        info.statements += count


SET_APPLICATION = "SELECT set_config('application_name', %(application_name)s, false)"
"""For a text of statements sent at once: PostgreSQL logs such a text after it has ended, so
the name must outlast its transaction; it stays on the connection until the next request
on it names its own (pg_stat_activity shows an idle connection's last request)."""


def session_tags() -> dict[str, str]:
    """Transaction settings naming the request: `application_name` shows in PostgreSQL's
    log (`%a` in log_line_prefix) and in pg_stat_activity while the statement runs."""
    info = CURRENT.get()
    if info is None:
        return {}
    return {"application_name": f"{APPLICATION} {info.request_id}"}


TAG_PARAMETER = "parkgrid_application"
TAG = f"SELECT set_config('application_name', %({TAG_PARAMETER})s, true);\n"
"""Sent before a transaction's first statement, in the same text: psycopg2 sends BEGIN on
its own, so the transaction is open when the tag runs, and it lasts for the transaction."""


def counted_and_tagged(
    _conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
) -> tuple[str, Any]:
    """An engine's `before_cursor_execute` listener (retval): every statement sent counts,
    and the first of a transaction carries the request's name, in the same round trip.
    Parameters by name only (the driver formats every such text, so `%` is escaped
    already); a statement with positional ones is sent as it is."""
    info = CURRENT.get()
    if info is None:
        return statement, parameters
    info.statements += 1
    idle = cursor.connection.info.transaction_status == TRANSACTION_STATUS_IDLE
    if many or not idle or not isinstance(parameters, Mapping):
        return statement, parameters
    tags = session_tags()
    return TAG + statement, {**parameters, TAG_PARAMETER: tags["application_name"]}
