"""Limits on what a client may send in an argument, checked before any SQL: a string's
length by what it holds (a name, a note, anything else), a list's length, and no NUL
character (PostgreSQL text cannot hold one). One table says which limit an argument or input
field falls under; the checks and the schema's descriptions both derive from it.

The values checked are the ones graphql-core coerced, walked by the argument's declared type,
so a limit is the same whether a value came as a literal or in a variable, and custom scalars
(GeoJSON, checked by geo) are left to their own checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.extensions import SchemaExtension

from parkgrid.errors import InvalidInput
from parkgrid.settings import ApiSettings
from schema.limits import SIZED_ARGUMENTS
from schema.outcomes import user_error

NAMES = frozenset({"name", "title", "address", "responsibleUnit", "search", "industry"})
"""Arguments and input fields holding a name or a line of text."""
TEXTS = frozenset({"note", "description"})
"""Arguments and input fields holding free text."""
EXTENSION = "parkgrid-input-limits"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Control characters: no code, name or search holds one (a pasted escape sequence or a
stray tab is a mistake that would be stored unseen)."""
TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""In a note (and a search, often pasted from a spreadsheet), line breaks and tabs are text;
the other control characters are not."""


class StringTooLong(InvalidInput):
    code = "STRING_TOO_LONG"


class ListTooLong(InvalidInput):
    code = "LIST_TOO_LONG"


@dataclass(frozen=True)
class InputLimits:
    name: int
    text: int
    string: int
    items: int
    page: int

    @classmethod
    def of(cls, api: ApiSettings) -> InputLimits:
        return cls(
            api.max_name_length, api.max_text_length, api.max_string_length, api.max_list_length,
            api.max_page_size,
        )  # fmt: skip

    def length(self, name: str) -> tuple[int, str]:
        """The longest string the argument or input field `name` may hold, and the setting."""
        if name in NAMES:
            return self.name, "PARKGRID_API_MAX_NAME_LENGTH"
        if name in TEXTS:
            return self.text, "PARKGRID_API_MAX_TEXT_LENGTH"
        return self.string, "PARKGRID_API_MAX_STRING_LENGTH"


def is_text(of: GraphQLInputType) -> bool:
    return of is GraphQLString or of is GraphQLID


def check_value(value: Any, of: GraphQLInputType, path: str, limits: InputLimits) -> None:
    """Raise when `value` (coerced, of type `of`) breaks a limit; `path` names it."""
    while isinstance(of, GraphQLNonNull):
        of = of.of_type
    if value is None:
        return
    if isinstance(of, GraphQLList):
        check_list(value, of, path, limits)
    elif isinstance(of, GraphQLInputObjectType):
        for name, input_field in of.fields.items():
            key = input_field.out_name or name
            if key in value:
                check_value(value[key], input_field.type, f"{path}.{name}", limits)
    elif isinstance(value, str) and is_text(of):
        check_string(value, path, limits)


def check_list(value: list[Any], of: GraphQLList[Any], path: str, limits: InputLimits) -> None:
    if len(value) > limits.items:
        raise ListTooLong(
            f"has {len(value)} items; at most {limits.items} are allowed"
            " (PARKGRID_API_MAX_LIST_LENGTH)",
            field=path,
        )
    for item in value:
        check_value(item, of.of_type, path, limits)


def check_string(value: str, path: str, limits: InputLimits) -> None:
    if "\x00" in value:
        raise InvalidInput("must not contain the NUL character (U+0000)", field=path)
    name = path.rsplit(".", 1)[-1]
    control = (TEXT_CONTROL if name in TEXTS or name == "search" else CONTROL).search(value)
    if control:
        found = f"U+{ord(control.group()):04X}"
        raise InvalidInput(f"must not contain control characters ({found})", field=path)
    most, setting = limits.length(name)
    if len(value) > most:
        raise StringTooLong(
            f"is {len(value)} characters long; at most {most} are allowed ({setting})",
            field=path,
        )


def check_arguments(definition: GraphQLField, raw: Mapping[str, Any], limits: InputLimits) -> None:
    """Raise when a coerced argument of the field breaks a limit."""
    for name, argument in definition.args.items():
        if name in raw:
            check_value(raw[name], argument.type, name, limits)


def input_limits(schema: GraphQLSchema) -> InputLimits:
    limits: InputLimits = schema.extensions[EXTENSION]
    return limits


def limited(schema: GraphQLSchema) -> Iterator[tuple[str, GraphQLArgument | GraphQLInputField]]:
    """Every argument and input field, by name."""
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for field in named.fields.values():
                yield from field.args.items()
        elif isinstance(named, GraphQLInputObjectType):
            yield from named.fields.items()


def innermost(of: GraphQLInputType) -> tuple[GraphQLInputType, bool]:
    """The named type under the wrappers, and whether a list is among them."""
    listed = False
    while isinstance(of, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(of, GraphQLList)
        of = of.of_type
    return of, listed


def describe_limits(schema: GraphQLSchema, limits: InputLimits) -> None:
    """Put the limits in the schema: each string argument's description says its longest
    length, each list's its most items, each page size its range, so clients reading the
    schema see them. Also record them on the schema for the checks."""
    schema.extensions[EXTENSION] = limits
    for name, value in limited(schema):
        named, listed = innermost(value.type)
        notes = [f"At most {limits.items} items."] if listed else []
        if name in SIZED_ARGUMENTS:
            notes.append(f"From {SIZED_ARGUMENTS[name]} to {limits.page}.")
        if isinstance(named, GraphQLScalarType) and is_text(named):
            notes.append(f"At most {limits.length(name)[0]} characters.")
        if notes:
            value.description = " ".join(filter(None, [value.description, *notes]))


def variables_of(info: GraphQLResolveInfo[Any]) -> VariableValues:
    """The request's variables as graphql-core's helpers take them."""
    variables = info.variable_values
    if isinstance(variables, dict):  # as strawberry hands them on: already coerced
        return VariableValues(sources={}, coerced=variables)
    return variables


class ArgumentLimits(SchemaExtension):
    """The limits on fields the executor resolves (mutations, and reads the compiler does
    not take): checked before the resolver runs, so a refused mutation changes nothing, and
    answered as the mutation's typed error (its result union has them all)."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: Any,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        node = info.field_nodes[0]
        definition = info.parent_type.fields.get(info.field_name)  # None: introspection
        if node.arguments and definition is not None:
            raw = get_argument_values(definition, node, variables_of(info))
            try:
                check_arguments(definition, raw, input_limits(info.schema))
            except InvalidInput as error:
                if info.parent_type is not info.schema.mutation_type:
                    raise
                return user_error(error)
        return _next(root, info, *args, **kwargs)
