"""The bad-input corpus, generated from the schema the app serves rather than from a list kept
by hand, so a new field or argument is covered the day it is added.

Every argument of every root field and mutation (recursing into input objects), and of every
nested field the Query root reaches, is sent with one bad value at a time while the other
required arguments hold values of the demo park. Values go in as variables, so a wrong type
passes parsing and reaches coercion; NUL and control characters are also written inline, so
the literal path is covered too. Demo values are `Ref`s: the case names them at collection
time, the test looks them up in its database when it runs (ids and versions move)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    ast_from_value,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
    print_ast,
)


@dataclass(frozen=True)
class Ref:
    """A value of the demo park, looked up when the case runs."""

    name: str


HUGE = "x" * 100_000
STRINGS = {
    "empty": "",
    "huge": HUGE,
    "nul": "a\x00b",
    "control": "\x1b[31m\x07\x08",
    "unicode": "\u202e\u200fabc🏭👩🏽‍🔧\uffff\ufffe",  # RTL marks, emoji, non-characters
    "surrogate": "\ud800x",  # sent as the JSON escape \ud800: valid JSON, no valid Unicode
}
INTS = {"-1": -1, "0": 0, "int32-max": 2**31 - 1, "2^31": 2**31, "2^63": 2**63, "1e308": 1e308}
FLOATS = {"-1": -1.0, "0": 0.0, "1e308": 1e308, "-1e308": -1e308, "subnormal": 5e-324}
DATES = {"empty": "", "year-1": "0001-01-01", "year-9999": "9999-12-31", "feb-30": "2026-02-30",
         "nul": "2026-01-01\x00", "datetime": "2026-01-01T00:00:00+08:00"}  # fmt: skip
DATETIMES = {"empty": "", "year-1": "0001-01-01T00:00:00+00:00",
             "year-9999": "9999-12-31T23:59:59-14:00", "naive": "2026-01-01T00:00:00",
             "month-13": "2026-13-45T99:99:99Z", "nul": "2026-01-01T00:00:00\x00Z"}  # fmt: skip
BOWTIE = [[[112.86, 28.67], [112.9, 28.7], [112.9, 28.67], [112.86, 28.7], [112.86, 28.67]]]
GEOJSON = {"empty": {}, "no-coordinates": {"type": "Point"}, "string": "POINT(1 2)",
           "out-of-range": {"type": "Point", "coordinates": [181, 91]},
           "1e308": {"type": "Point", "coordinates": [1e308, -1e308]},
           "text-coordinates": {"type": "Point", "coordinates": ["a", "b"]},
           "empty-polygon": {"type": "Polygon", "coordinates": []},
           "bowtie": {"type": "Polygon", "coordinates": BOWTIE},
           "collection": {"type": "GeometryCollection", "geometries": []},
           "nul-type": {"type": "Po\x00int", "coordinates": [0, 0]},
           "deep": {"type": "Point", "coordinates": [[[[[[[[[[0]]]]]]]]]]}}  # fmt: skip
CURSORS: dict[str, Any] = {"garbage": "!!!not-base64", "object": "eyJhIjoxfQ==",
                           "null-key": "W251bGxd", "bool-key": "W3RydWVd",
                           "1e308-key": "WzFlMzA4XQ==", "empty-key": "W10=",
                           "of-issues": Ref("issues_cursor"),
                           "of-enterprises": Ref("enterprises_cursor")}  # fmt: skip
"""Cursors: base64 of `{"a":1}`, `[null]`, `[true]`, `[1e308]`, `[]`, and cursors that the
issue and enterprise lists issued (looked up when the case runs), for every other list."""
WRONG: dict[str, dict[str, Any]] = {
    "String": {"int": 5, "object": {"a": 1}},
    "ID": {"float": 1.5, "object": {"a": 1}},
    "Int": {"string": "5", "float": 5.5, "object": {"a": 1}},
    "Float": {"string": "1.5", "object": {"a": 1}, "list": [1.0]},
    "Boolean": {"string": "true", "int": 1},
    "Date": {"int": 20260101, "object": {"a": 1}},
    "DateTime": {"int": 0, "object": {"a": 1}},
    "GeoJSON": {"int": 5, "list": [0, 0]},
}
NAMED_REFS = {"park": "park", "zone": "zone", "grid": "grid", "uscc": "uscc",
              "enterprise": "uscc", "target": "uscc", "cadre": "cadre", "reportedBy": "cadre",
              "assignee": "cadre", "version": "version", "lon": "lon", "lat": "lat",
              "location": "point", "boundary": "grid_boundary", "intersects": "grid_boundary",
              "containsPoint": "point_input", "at": "now", "validFrom": "now",
              "validTo": "now", "since": "now", "industry": "industry"}  # fmt: skip
FIELD_REFS = {"Query.park.code": "park", "Query.zone.code": "zone", "Query.grid.code": "grid",
              "Query.previewGridChange.code": "grid", "Mutation.upsertGrid.code": "grid",
              "Mutation.upsertZone.code": "zone", "Mutation.upsertZone.boundary": "zone_boundary",
              "Query.cadre.id": "cadre", "Mutation.endAssignment.id": "assignment",
              "Mutation.registerEnterprise.uscc": "fresh_uscc"}  # fmt: skip
PLAIN: dict[str, Any] = {"String": "corpus", "ID": None, "Int": 5, "Float": 500.0,
                         "Boolean": False, "Date": "2026-01-01", "JSON": {},
                         "Upload": "corpus"}  # fmt: skip
"""An Upload in JSON variables is no file: importFile refuses it on `file` (the multipart
requests are tests/schema/test_import_mutation.py's)."""
ALSO_FILLED = {"Mutation.updateEnterprise": {"name"}}
"""Optional arguments without which the field refuses before it looks at the others."""
ENUM_CHOICES = {"level": "ENTERPRISE", "to": "IN_PROGRESS", "category": "OTHER"}
BBOX = [112.86, 28.67, 112.9, 28.7]
"""Around the demo park (see the README): lists need a literal to replace items in."""


@dataclass(frozen=True)
class Variant:
    name: str
    value: Any
    omit: bool = False  # leave the (required) variable out
    inline: bool = False  # write the value into the document instead of a variable


@dataclass(frozen=True)
class Case:
    id: str
    document: str
    variables: Mapping[str, Any] = field(hash=False)
    mutation: bool = False
    anonymous: bool = False


def valid(type_: GraphQLInputType, name: str, coordinate: str) -> Any:
    """A value the field would accept: a demo park value by argument name, else by type."""
    ref = FIELD_REFS.get(f"{coordinate}.{name}") or NAMED_REFS.get(name)
    if name == "bbox":
        return list(BBOX)
    if ref:
        return Ref(ref)
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return [valid(nullable.of_type, name, coordinate)]
    if isinstance(nullable, GraphQLInputObjectType):
        return required_fields(nullable, coordinate)
    if isinstance(nullable, GraphQLEnumType):
        return ENUM_CHOICES.get(name) or next(iter(nullable.values))
    if nullable.name == "ID":
        return Ref("issue")
    if nullable.name == "DateTime":
        return Ref("now")
    return Ref("point") if nullable.name == "GeoJSON" else PLAIN[nullable.name]


def required_fields(type_: GraphQLInputObjectType, coordinate: str) -> dict[str, Any]:
    return {
        name: valid(f.type, name, coordinate)
        for name, f in type_.fields.items()
        if is_required_input_field(f)
    }


def scalar_variants(named: GraphQLScalarType | GraphQLEnumType, name: str) -> list[Variant]:
    """Wrong types first, then the values of the right type that are out of bounds."""
    out = [Variant(f"wrong-{k}", v) for k, v in WRONG.get(named.name, {}).items()]
    if isinstance(named, GraphQLEnumType):
        first = next(iter(named.values))
        return [Variant("wrong-int", 1), Variant("unknown", "NOPE"),
                Variant("lowercase", first.lower()), Variant("empty", "")]  # fmt: skip
    by_type: dict[str, dict[str, Any]] = {"String": STRINGS, "ID": STRINGS, "Int": INTS,
                                          "Float": FLOATS, "Date": DATES, "DateTime": DATETIMES,
                                          "GeoJSON": GEOJSON}  # fmt: skip
    out += [Variant(k, v) for k, v in by_type.get(named.name, {}).items()]
    if name == "after":
        out += [Variant(f"cursor-{k}", v) for k, v in CURSORS.items()]
    return out


def variants(type_: GraphQLInputType, name: str, coordinate: str) -> list[Variant]:
    """Bad values for one argument or input field, of any kind."""
    out = [Variant("null", None)]
    if isinstance(type_, GraphQLNonNull):
        out.append(Variant("missing", None, omit=True))
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLInputObjectType):
        return [*out, Variant("empty-object", {}), Variant("wrong-string", "x"),
                Variant("wrong-list", [1]), Variant("unknown-field", {"nope": 1})]  # fmt: skip
    if isinstance(nullable, GraphQLList):
        item, good = nullable.of_type, valid(type_, name, coordinate)
        out += [Variant("empty-list", []), Variant("null-item", [None]),
                Variant("huge-list", good * 10_000 if isinstance(good, list) else [good] * 10_000)]  # fmt: skip
        named = get_named_type(item)
        if isinstance(named, GraphQLInputObjectType):  # its fields are cases of their own
            return [*out, Variant("item-empty-object", [{}]), Variant("item-wrong-string", ["x"])]
        assert isinstance(named, GraphQLScalarType | GraphQLEnumType)
        return out + [item_variant(v, good) for v in scalar_variants(named, name)]
    assert isinstance(nullable, GraphQLScalarType | GraphQLEnumType)
    return out + scalar_variants(nullable, name)


def item_variant(variant: Variant, good: Any) -> Variant:
    """The valid list with its first item replaced (a bbox keeps its other three numbers)."""
    rest = good[1:] if isinstance(good, list) else []
    return Variant(f"item-{variant.name}", [variant.value, *rest])


def inline_variants(type_: GraphQLInputType) -> list[Variant]:
    named = get_named_type(type_)
    if named.name not in ("String", "ID"):
        return []
    return [Variant(f"{k}-inline", STRINGS[k], inline=True) for k in ("nul", "control")]


@dataclass(frozen=True)
class Step:
    """One field on the way from the root to the field under test."""

    parent: GraphQLObjectType
    name: str

    @property
    def field(self) -> GraphQLField:
        return self.parent.fields[self.name]

    @property
    def coordinate(self) -> str:
        return f"{self.parent.name}.{self.name}"


def selection(type_: GraphQLOutputType) -> str:
    """A minimal valid selection: the scalars that need no argument, `__typename` on
    abstract types and, on unions, each member's scalars (so an error member shows its code)."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType):
        members = " ".join(f"... on {m.name} {scalars(m)}" for m in named.types)
        return f"{{ __typename {members} }}"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    return scalars(named)


def scalars(type_: GraphQLObjectType | GraphQLInterfaceType) -> str:
    names = [
        name
        for name, f in type_.fields.items()
        if is_leaf_type(get_named_type(f.type))
        and not any(is_required_argument(a) for a in f.args.values())
    ]
    return "{ " + " ".join(["__typename", *names]) + " }"


def document(operation: str, path: list[Step], tested: str, variant: Variant) -> Case:
    """The request for `variant` of argument `tested` (dotted into input objects) on the last
    step; every other required argument on the path holds a valid value."""
    declared, values, body = [], {}, ""
    for depth, step in reversed(list(enumerate(path))):
        args = []
        last = depth == len(path) - 1
        for name, arg in step.field.args.items():
            head = tested.split(".")[0] if last else None
            also = name in ALSO_FILLED.get(step.coordinate, ())
            if not (is_required_argument(arg) or also or name == head):
                continue
            value = valid(arg.type, name, step.coordinate)
            if name == head and variant.inline:
                literal = ast_from_value(variant.value, arg.type)
                assert literal is not None
                args.append(f"{name}: {print_ast(literal)}")
                continue
            var = f"s{depth}_{name}"
            declared.append(f"${var}: {arg.type}")
            args.append(f"{name}: ${var}")
            if name == head:
                value = replaced(value, tested.split(".")[1:], variant)
                if value is OMITTED:
                    continue
            values[var] = value
        call = f"{step.name}({', '.join(args)})" if args else step.name
        body = f"{call} {body or selection(step.field.type)}"
        body = body if depth == 0 else f"{{ {body} }}"
    signature = f"({', '.join(declared)})" if declared else ""
    return Case(
        id=f"{path[-1].coordinate}({tested})/{variant.name}",
        document=f"{operation} Corpus{signature} {{ {body} }}",
        variables=values,
        mutation=operation == "mutation",
    )


OMITTED = object()


def replaced(value: Any, rest: list[str], variant: Variant) -> Any:
    """`value` with the input field at `rest` set to the variant (or removed)."""
    if not rest:
        return OMITTED if variant.omit else variant.value
    inner = dict(value)
    new = replaced(inner.get(rest[0], {}), rest[1:], variant)
    if new is OMITTED:
        inner.pop(rest[0], None)
    else:
        inner[rest[0]] = new
    return inner


def argument_paths(
    type_: GraphQLInputType, name: str, recurse: set[str]
) -> Iterator[tuple[str, GraphQLInputType]]:
    """The argument itself and, for input objects not yet covered, each field within."""
    yield name, type_
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLInputObjectType) and nullable.name not in recurse:
        recurse.add(nullable.name)
        for inner, f in nullable.fields.items():
            for path, t in argument_paths(f.type, inner, recurse):
                yield f"{name}.{path}", t


def field_cases(operation: str, path: list[Step], recurse: set[str]) -> Iterator[Case]:
    step = path[-1]
    for name, arg in step.field.args.items():
        for dotted, type_ in argument_paths(arg.type, name, recurse):
            leaf = dotted.split(".")[-1]
            for variant in variants(type_, leaf, step.coordinate):
                yield document(operation, path, dotted, variant)
            if dotted == name:
                for variant in inline_variants(type_):
                    yield document(operation, path, dotted, variant)


def nested_paths(schema: GraphQLSchema) -> Iterator[list[Step]]:
    """A shortest path from Query to each field with arguments below the root; a field an
    interface declares is reached once, through its first implementation."""
    assert schema.query_type is not None
    seen, done = {schema.query_type.name}, set[str]()
    queue = [(schema.query_type, list[Step]())]
    while queue:
        type_, path = queue.pop(0)
        for name, f in type_.fields.items():
            step, named = Step(type_, name), get_named_type(f.type)
            owners = [i.name for i in type_.interfaces if name in i.fields] or [type_.name]
            if path and f.args and f"{owners[0]}.{name}" not in done:
                done.add(f"{owners[0]}.{name}")
                yield [*path, step]
            if isinstance(named, GraphQLObjectType) and named.name not in seen:
                seen.add(named.name)
                queue.append((named, [*path, step]))


def schema_cases(schema: GraphQLSchema) -> list[Case]:
    """Every case: root fields of Query, mutations, then nested fields. Each input object is
    recursed into once among the queries and once among the mutations, at its first use."""
    assert schema.query_type is not None and schema.mutation_type is not None
    cases: list[Case] = []
    covered: set[str] = set()
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        recursed: set[str] = set()  # mutations validate on their own path: recurse anew
        for name in root.fields:
            cases += field_cases(operation, [Step(root, name)], recursed)
        covered |= recursed
    for path in nested_paths(schema):
        cases += field_cases("query", path, covered)
    return cases


def anonymous_subset(cases: list[Case]) -> list[Case]:
    """The same requests without a token, for the variants most likely to slip past checks
    that assume a signed-in caller: NUL and a wrong type."""
    keep = ("/nul", "/wrong-int", "/wrong-string", "/nul-inline")
    return [
        Case(f"anonymous:{c.id}", c.document, c.variables, c.mutation, anonymous=True)
        for c in cases
        if c.id.endswith(keep) and c.id.startswith(("Query.", "Mutation."))
    ]
