"""Every object the API reads is built by the read compiler, also when the executor resolves
a field itself (a request the compiler could not take whole, a mutation's payload, a report
naming an issue or an area): the field's subtree is compiled to one statement and its JSON
returned, and the fields below answer from that JSON by response key. So each field's SQL is
written once, in resolvers.reads, whichever way a request runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)
from strawberry.dataloader import DataLoader

from resolvers.reads.compiler import FIELDS, ROWS, Compiler
from resolvers.reads.request import Builder, Limits, compile_request, query_field
from resolvers.reads.selection import Selection
from resolvers.reads.types_ledger import cadres_at
from schema.context import Info
from schema.selections import Collector

SERIALISED_SCALARS = ("Date", "DateTime")
"""Scalars the compiler writes as the schema would serialise them (ISO 8601 text)."""


async def answer(info: Info, parts: list[tuple[str, Builder]]) -> dict[str, Any]:
    """The parts' JSON, read as the caller; a guard that held raises its error."""
    context = info.context
    plan = compile_request(
        parts,
        Limits.of(context.api, context.ledger),
        context.today,
        context.now,
        context.principal.is_staff,
    )
    row = await context.db.at_once([(plan.sql, True)], plan.params)
    error = plan.refusal(row["guards"])
    if error is not None:
        raise error
    found: dict[str, Any] = orjson.loads(row["data"])
    return found


def resolving(info: Info, runtime: str | None = None) -> Selection:
    raw = info._raw_info
    concrete = raw.schema.get_type(runtime) if runtime else None
    assert concrete is None or isinstance(concrete, GraphQLObjectType)
    return Collector(info.schema).resolving(raw, concrete)


async def query(info: Info) -> Any:
    """A Query field, compiled with its subtree."""
    selection = resolving(info)
    return (await answer(info, [(selection.key, query_field(selection))]))[selection.key]


async def entity(info: Info, typename: str, key: int | None, column: str = "id") -> Any:
    """The `typename` object whose `column` is `key` (None: none), compiled with the field's
    subtree; an abstract field's value says its type. The same field of many objects (the
    issue of every hard case) is read in one statement."""
    if key is None:
        return None
    raw = info._raw_info
    batch = (typename, column, tuple(id(node) for node in raw.field_nodes))
    if batch not in info.context.batches:
        loader = partial(objects_by_key, info, typename, column, resolving(info, typename))
        info.context.batches[batch] = DataLoader(load_fn=loader)
    found = await info.context.batches[batch].load(key)
    abstract = not isinstance(get_named_type(info._raw_info.return_type), GraphQLObjectType)
    if isinstance(found, dict) and abstract:
        found["__typename"] = typename
    return found


async def objects_by_key(
    info: Info, typename: str, column: str, selection: Selection, keys: list[int]
) -> list[Any]:
    """The objects whose `column` is one of `keys`, in the keys' order (None where none)."""

    def build(c: Compiler) -> str:
        r, bound = c.alias("r"), c.bind(list(keys), "bigint[]")
        pair = f"json_build_array({r}.{column}, {c.object(typename, r, selection.fields)})"
        rows = ROWS.get(typename, typename.lower())
        found = f"SELECT coalesce(json_agg({pair}), '[]'::json) FROM {rows} {r}"
        return f"({found} WHERE {r}.{column} = ANY({bound}))"

    pairs = (await answer(info, [("found", build)]))["found"]
    by_key = {key: value for key, value in pairs}
    return [by_key.get(key) for key in keys]


def by_key(source: dict[str, Any], info: GraphQLResolveInfo[Any], **_args: Any) -> Any:
    """A field of compiled JSON: its value under the response key."""
    return source.get(str(info.path.key))


def answered_by_compiler(schema: GraphQLSchema) -> None:
    """Resolve the compiled types' fields from JSON, and let their leaves pass as written."""
    compiled = {name for name in FIELDS if name != "Query"}
    wrappers = {f"{n}{suffix}" for n in compiled for suffix in ("Connection", "Edge")}
    for name, kind in schema.type_map.items():
        if isinstance(kind, GraphQLObjectType) and (
            name in compiled | wrappers | {"PageInfo", "Location"}
        ):
            for field in kind.fields.values():
                field.resolve = by_key
            kind.is_type_of = json_or(kind.is_type_of)
        elif isinstance(kind, GraphQLInterfaceType):
            kind.resolve_type = typed_by_json(kind.resolve_type)
        elif isinstance(kind, GraphQLEnumType):
            kind.coerce_output_value = named(kind, kind.coerce_output_value)  # type: ignore[method-assign, assignment]
        elif isinstance(kind, GraphQLScalarType) and name in SERIALISED_SCALARS:
            kind.coerce_output_value = written(kind.coerce_output_value)


def json_or(original: Any) -> Any:
    """A compiled object (JSON) is of its type; anything else as the type says."""
    if original is None:
        return None
    return lambda value, info: isinstance(value, dict) or original(value, info)


def typed_by_json(original: Any) -> Any:
    def resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract: Any) -> Any:
        if isinstance(value, dict):
            return value["__typename"]
        return original(value, info, abstract)

    return resolve_type


def named(kind: GraphQLEnumType, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Enum values the compiler wrote as their names (upper case) pass as they are."""
    return lambda value: (
        value if isinstance(value, str) and value in kind.values else original(value)
    )


def written(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: value if isinstance(value, str) else original(value)


async def ranked(info: Info, cadres: list[tuple[int, float | None]]) -> Any:
    """Cadres in the order given, each with its distance (nearestCadres)."""
    selection = resolving(info)

    def build(c: Compiler) -> str:
        return cadres_at(c, [id for id, _ in cadres], [d for _, d in cadres], selection)

    return (await answer(info, [(selection.key, build)]))[selection.key]


def compiled_only() -> Any:
    """The body of a field the read compiler answers: never run (see answered_by_compiler)."""
    raise RuntimeError("this field is answered by the read compiler")
