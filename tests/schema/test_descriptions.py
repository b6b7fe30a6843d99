"""Every type, field, argument, enum value and input field of the schema has a description,
read as a client reads it: from the introspection result (deprecated members included), with
a walker of its own rather than the schema module's. A description that only states the
input limits appended at build time does not count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import get_introspection_query, graphql_sync

from parkgrid.settings import ApiSettings
from schema import build_schema, limit_rules

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
LIMITS_ONLY = re.compile(r"((At most \d+ (items|characters)|From \d+ to \d+)\. ?)+")
Json = dict[str, Any]


def introspection(schema: strawberry.Schema) -> Json:
    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    result = graphql_sync(schema._schema, query)
    assert result.errors is None and result.data is not None
    return result.data["__schema"]


def says_nothing(description: str | None) -> bool:
    return not (description or "").strip() or bool(LIMITS_ONLY.fullmatch(description or ""))


def values_of(kind: Json) -> Iterator[tuple[str, Json]]:
    """Each member of a type with a description: fields, their arguments, input fields, enum
    values, as `Type.member` or `Type.field(argument)`."""
    name = kind["name"]
    for field in kind.get("fields") or ():
        yield f"{name}.{field['name']}", field
        for argument in field["args"]:
            yield f"{name}.{field['name']}({argument['name']})", argument
    for field in kind.get("inputFields") or ():
        yield f"{name}.{field['name']}", field
    for value in kind.get("enumValues") or ():
        yield f"{name}.{value['name']}", value


def members(found: Json) -> Iterator[tuple[str, Json]]:
    for kind in found["types"]:
        if kind["name"].startswith("__") or kind["name"] in BUILT_IN:
            continue
        yield kind["name"], kind
        yield from values_of(kind)


def undescribed(found: Json) -> list[str]:
    return [where for where, item in members(found) if says_nothing(item.get("description"))]


def schema_of(api: ApiSettings) -> strawberry.Schema:
    return build_schema(api, limit_rules(api))


def test_everything_is_described() -> None:
    missing = undescribed(introspection(schema_of(ApiSettings())))
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_deprecations_give_a_reason() -> None:
    found = introspection(schema_of(ApiSettings()))
    unexplained = [
        where
        for where, item in members(found)
        if item.get("isDeprecated") and says_nothing(item.get("deprecationReason"))
    ]
    assert not unexplained


def test_the_walker_finds_what_is_blank() -> None:
    """The check can fail: a schema with one blank field, argument and enum value."""

    @strawberry.type(description="Root.")
    class Query:
        @strawberry.field(description="Described.")  # type: ignore[untyped-decorator]
        def ok(self, given: int = 0) -> int:
            return given

        blank: str = ""

    found = undescribed(introspection(strawberry.Schema(query=Query)))
    assert sorted(found) == ["Query.blank", "Query.ok(given)"]


def test_limits_alone_are_not_a_description() -> None:
    assert says_nothing("At most 200 characters.")
    assert says_nothing("At most 1000 items. At most 200 characters.")
    assert not says_nothing("The name. At most 200 characters.")


def test_the_page_size_and_limits_show_in_descriptions() -> None:
    """Limits come from the settings in force, so a client sees its service's own."""
    api = ApiSettings(default_page_size=7, max_page_size=70, max_name_length=33)
    found = introspection(schema_of(api))
    described = dict((where, item["description"]) for where, item in members(found))
    first = described["Query.parks(first)"]
    assert "7 when not given" in first and "From 0 to 70." in first
    assert "At most 33 characters." in described["Mutation.registerEnterprise(name)"]
