"""Descriptions stated once for what the schema repeats: the arguments every list takes
(`first`, `after`, `filter`, `at`, ...), which mean the same wherever they appear, and the
connection and edge types each `Connection[Node]` generates. A field or argument that says
something of its own keeps it; these fill only what is still blank, after the schema is built,
so a new list field added anywhere is described the moment it is declared.

`undescribed` lists what is still blank, for the test that keeps the schema at 100%."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_non_null_type,
    is_specified_scalar_type,
)

from parkgrid.settings import ApiSettings
from schema.outcomes import codes_by_type

ARGUMENTS = {
    "first": "How many nodes this page holds at most; {default_page} when not given (the"
    " setting PARKGRID_API_DEFAULT_PAGE_SIZE).",
    "after": "A cursor (`pageInfo.endCursor` or an edge's `cursor`) of a previous page of this"
    " same list: the page starts after it. Null: the first page. Cursors are opaque; one from"
    " another list or ordering is refused with INVALID_CURSOR.",
    "filter": "Only nodes matching every condition given (see {type}); null: all.",
    "orderBy": "The order of the nodes, and so of the pages; CODE when not given.",
    "at": "The moment to read assignments at (ISO 8601 with offset); null: now.",
    "since": "Count only from this moment on (ISO 8601 with offset); null: all time.",
    "lon": "Longitude of the point, WGS 84 degrees, -180 to 180.",
    "lat": "Latitude of the point, WGS 84 degrees, -90 to 90.",
    "k": "How many to return, nearest first.",
    "code": "The code, as the register holds it (case-sensitive).",
    "uscc": "The enterprise's Unified Social Credit Code (18 characters; surrounding spaces are"
    " trimmed and letters upper-cased).",
    "id": "The ID, as another field returned it.",
    "version": "The `version` you last read: a change made since is refused with CONFLICT"
    " (reload and retry), so no edit is lost.",
    "boundary": "A GeoJSON Polygon or MultiPolygon in WGS 84 (RFC 7946); it must be valid"
    " (no self-intersection) and is stored as a MultiPolygon.",
    "location": "A GeoJSON Point in WGS 84 (RFC 7946).",
    "maxPerLiaison": "A liaison carrying more enterprises than this is overloaded.",
    "minPerLiaison": "A liaison carrying fewer enterprises than this is underloaded.",
    "enterprise": "The enterprise's Unified Social Credit Code.",
    "cadre": "A cadre's ID; for a record made in another cadre's name, a lead of the"
    " enterprise's grid or zone (or an admin) may name one, and null means the token's cadre.",
    "reportedBy": "The reporting cadre's ID; null: the token's cadre (others: leads and admins).",
    "assignee": "The ID of the cadre to work on it.",
    "target": "The zone's or grid's code, or the enterprise's credit code, as `level` says.",
    "title": "A short summary; null to anonymous callers.",
    "description": "The full text; only staff serving the grid (and admins) read it back.",
    "note": "Free text kept with the record; only staff serving the grid (and admins) read it.",
    "responsibleUnit": "The office in charge; null: none (or unchanged).",
    "duties": "The duties exercised, at least one, each once.",
    "name": "The name (in an update, left out: unchanged).",
    "industry": "The industry; null: none (in an update, left out: unchanged).",
    "address": "The postal address; null: none (in an update, left out: unchanged).",
}
"""What an argument of this name means wherever it appears; `{type}` is its input type."""
AREAS = ("park", "zone", "grid")
AREA_SCOPE = "A {kind}'s code: only what lies in that {kind}; null: every {kind}."
AREA_NAMED = "The {kind}'s code."
"""An optional park, zone or grid narrows a list or report; a required one names the area."""

CONNECTION = "A page of {node} nodes in a stable order, with the cursor to the next page."
EDGE = "A {node} in a page, with the cursor that pages on after it."
CONNECTION_FIELDS = {
    "edges": "The nodes of this page, each with its cursor.",
    "pageInfo": "Whether there is a next page and the cursor to fetch it with.",
}
EDGE_FIELDS = {
    "cursor": "Pass as `after` to get the nodes that follow this one.",
    "node": "The node itself.",
}


def node_name(kind: GraphQLObjectType) -> str | None:
    """The node type of a connection or edge type that `Connection[Node]` generated."""
    for field_name in ("nodes", "node"):
        field = kind.fields.get(field_name)
        if field is not None and kind.name.endswith(("Connection", "Edge")):
            return get_named_type(field.type).name
    return None


def describe_pages(kind: GraphQLObjectType) -> None:
    node = node_name(kind)
    if node is None:
        return
    is_edge = kind.name.endswith("Edge")
    kind.description = kind.description or (EDGE if is_edge else CONNECTION).format(node=node)
    for name, text in (EDGE_FIELDS if is_edge else CONNECTION_FIELDS).items():
        field = kind.fields.get(name)
        if field is not None and not field.description:
            field.description = text


def describe_arguments(field: GraphQLField, api: ApiSettings) -> None:
    for name, argument in field.args.items():
        template = ARGUMENTS.get(name)
        if name in AREAS:
            template = AREA_NAMED if is_non_null_type(argument.type) else AREA_SCOPE
        if template is not None and not argument.description:
            argument.description = template.format(
                type=get_named_type(argument.type).name,
                default_page=api.default_page_size,
                kind=name,
            )


def codes_of(kind: GraphQLObjectType, codes: dict[str, list[str]]) -> list[str]:
    """A typed error's codes: by the class it reports, else as its own class states."""
    if kind.name in codes:
        return codes[kind.name]
    declared = kind.extensions["strawberry-definition"].origin
    return [declared.CODE]


def describe_result(union: GraphQLUnionType, codes: dict[str, list[str]]) -> None:
    """A mutation's result union: the payload, or the typed errors it may answer with, each
    with the codes it carries."""
    errors = [t.name for t in union.types if t.interfaces and t.name.endswith("Error")]
    payloads = [t.name for t in union.types if t.name not in errors]
    if union.description or not errors:
        return
    listed = "; ".join(f"{t.name}: {', '.join(codes_of(t, codes))}" for t in union.types
                       if t.name in errors)  # fmt: skip
    union.description = (
        f"{' or '.join(payloads)} when the change was made; else why nothing changed, as one"
        f" of {', '.join(errors)} (each a UserError with `code`, `message` and `field`)."
        f" Codes: {listed}."
    )


def describe_repeated(schema: GraphQLSchema, api: ApiSettings) -> None:
    """Fill the blank descriptions of repeated arguments, generated page types and result
    unions."""
    codes = codes_by_type()
    for kind in schema.type_map.values():
        if isinstance(kind, GraphQLUnionType):
            describe_result(kind, codes)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field in kind.fields.values():
                describe_arguments(field, api)
        if isinstance(kind, GraphQLObjectType):
            describe_pages(kind)


def own_types(schema: GraphQLSchema) -> Iterator[GraphQLNamedType]:
    for name, kind in sorted(schema.type_map.items()):
        if not name.startswith("__") and not is_specified_scalar_type(kind):
            yield kind


LIMITS_ONLY = re.compile(r"((At most \d+ (items|characters)|From \d+ to \d+)\. ?)+")
"""A description that states only the limits schema.arguments appends says nothing yet."""


def blank(description: str | None) -> bool:
    return not description or LIMITS_ONLY.fullmatch(description) is not None


def blank_members(kind: GraphQLNamedType) -> Iterator[str]:
    """The members of a type without a description, as `Type.field(argument)`."""
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for name, field in kind.fields.items():
            if blank(field.description):
                yield f"{kind.name}.{name}"
            yield from blank_arguments(f"{kind.name}.{name}", field.args)
    elif isinstance(kind, GraphQLInputObjectType):
        yield from (f"{kind.name}.{n}" for n, f in kind.fields.items() if blank(f.description))
    elif isinstance(kind, GraphQLEnumType):
        yield from (f"{kind.name}.{n}" for n, v in kind.values.items() if blank(v.description))


def blank_arguments(where: str, arguments: dict[str, GraphQLArgument]) -> Iterator[str]:
    yield from (f"{where}({n})" for n, a in arguments.items() if blank(a.description))


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, enum value and input field without a description."""
    found: list[str] = []
    for kind in own_types(schema):
        if blank(kind.description):
            found.append(kind.name)
        if not isinstance(kind, GraphQLUnionType):
            found.extend(blank_members(kind))
    return found
