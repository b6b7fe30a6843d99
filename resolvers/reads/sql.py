"""SQL text helpers for the read compiler: one placeholder style (the driver's `%(name)s`),
names quoted one way, JSON and cursors built in PostgreSQL. Values are always bound."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
NAMED = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z_0-9]*)")


class Unsupported(Exception):
    """This shape does not compile (yet); the request is executed field by field."""


@lru_cache(maxsize=4096)
def name_literal(name: str) -> str:
    """A GraphQL name (a response key or type name) as an SQL string literal. Names match
    [_A-Za-z][_0-9A-Za-z]* by the GraphQL grammar, checked again here, so no quoting question
    arises."""
    if not GRAPHQL_NAME.fullmatch(name):
        raise Unsupported(f"not a GraphQL name: {name!r}")
    return f"'{name}'::text"


MAX_PAIRS = 50
"""json_build_object takes at most 100 arguments: 50 keys with their values."""


def json_object(pairs: Iterable[tuple[str, str]]) -> str:
    """json_build_object of (response key, SQL expression) pairs, keys in the order given;
    '{}' when there are none. Past 50 keys the object is built in parts whose texts are
    joined (json keeps them in order, where jsonb's || would sort them)."""
    items = [f"{name_literal(key)}, {value}" for key, value in pairs]
    if len(items) <= MAX_PAIRS:
        return f"json_build_object({', '.join(items)})"
    parts = [
        f"regexp_replace(json_build_object({', '.join(items[i : i + MAX_PAIRS])})::text,"
        " '^[{]|[}]$', '', 'g')"
        for i in range(0, len(items), MAX_PAIRS)
    ]
    joined = " || ', ' || ".join(parts)
    return f"('{{' || {joined} || '}}')::json"


def cursor(keys: Iterable[str]) -> str:
    """The opaque cursor of a row, as resolvers.pagination.decode_cursor reads it: URL-safe
    base64 of the JSON array of its sort key (PostgreSQL's base64 wraps lines; they go)."""
    parts = " || ',' || ".join(f"to_json({key})::text" for key in keys)
    text = f"'[' || {parts} || ']'"
    return f"translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


def iso_timestamp(column: str) -> str:
    """A timestamptz as Python's isoformat() writes it (what the schema serialises):
    microseconds only when there are any, the offset as +HH:MM."""
    whole = f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    micro = f"CASE WHEN mod(extract(microseconds FROM {column})::bigint, 1000000) <> 0"
    micro += f" THEN to_char({column}, '.US') ELSE '' END"
    offset = f"to_char({column}, 'TZH:TZM')"
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {whole} || {micro} || {offset} END"


def driver_sql(sql: str) -> str:
    """Named :params as the driver's %(name)s, so a statement skips SQLAlchemy's compiler."""
    return NAMED.sub(r"%(\1)s", sql)


@dataclass(frozen=True)
class Named:
    """A value a kept statement names rather than holds (`%(today)s`), supplied at each
    execution: tiles and OGC pages compile their fields once per statement, not per request."""

    name: str


class Binder:
    """Collects the statement's parameters; every value goes in as `%(bN)s`, a Named value
    as its own name."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any, cast: str = "") -> str:
        if isinstance(value, Named):
            name = value.name
        else:
            name = f"b{len(self.params)}"
            self.params[name] = value
        return f"CAST(%({name})s AS {cast})" if cast else f"%({name})s"
