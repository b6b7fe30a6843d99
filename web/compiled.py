"""The GraphQL front end of the read compiler: a query operation (POST or GET) is parsed and
validated with the schema's rules and limits (cached per document), its fields collected as
graphql-core collects them (fragments, @skip/@include, aliases) with arguments coerced by the
schema and converted by strawberry, and the resulting `Selection` tree compiled to one SQL
statement whose JSON goes out as PostgreSQL builds it. A shape the compiler does not know, and
a request that fails (its error is the executor's to word), returns None and is executed as
usual."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import psycopg2
import strawberry
from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_leaf_type,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import ValueNode, VariableNode
from graphql.utilities import get_operation_ast
from sqlalchemy.exc import SQLAlchemyError
from strawberry.types.arguments import convert_arguments

from parkgrid.auth.principal import SIGN_IN, SIGNED_IN, check_signed_in, sign_in_params
from parkgrid.db import Database
from parkgrid.errors import ParkgridError
from parkgrid.settings import ApiSettings
from resolvers.reads import request as reads
from resolvers.reads.selection import Selection
from resolvers.reads.sql import Unsupported
from schema.context import park_today

CACHE_SIZE = 512
REQUEST_KEYS = {"query", "variables", "operationName"}


@dataclass(frozen=True)
class Operation:
    node: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    constant: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Converted arguments of the field nodes whose arguments name no variable, by node."""


def uses_variables(node: FieldNode) -> bool:
    arguments = node.arguments or ()
    return any(isinstance(n, VariableNode) for a in arguments for n in walk(a.value))


def walk(value: ValueNode) -> Iterator[ValueNode]:
    yield value
    if isinstance(value, ListValueNode):
        for item in value.values:
            yield from walk(item)
    elif isinstance(value, ObjectValueNode):
        for entry in value.fields:
            yield from walk(entry.value)


def request_parts(request: Any) -> tuple[str, dict[str, Any], str | None] | None:
    """query, variables and operation name of a plain request object, else None."""
    if not isinstance(request, dict) or set(request) - REQUEST_KEYS:
        return None
    query, variables, name = (
        request.get("query"),
        request.get("variables"),
        request.get("operationName"),
    )
    if not isinstance(query, str) or not isinstance(variables or {}, dict):
        return None
    return query, variables or {}, name if isinstance(name, str) else None


def body_parts(body: bytes) -> tuple[str, dict[str, Any], str | None] | None:
    try:
        return request_parts(orjson.loads(body))
    except orjson.JSONDecodeError:
        return None


def query_string_parts(params: Mapping[str, str]) -> tuple[str, dict[str, Any], str | None] | None:
    """A GET request's parts (variables as JSON text), as GraphQL over HTTP has them."""
    try:
        variables = orjson.loads(params["variables"]) if params.get("variables") else None
    except orjson.JSONDecodeError:
        return None
    given = {**params, "variables": variables}
    return request_parts({k: v for k, v in given.items() if v is not None})


class FastPath:
    """Compiles and answers read requests for one schema and one set of API limits."""

    def __init__(
        self,
        schema: strawberry.Schema,
        api: ApiSettings,
        rules: Sequence[type[ASTValidationRule]],
        limits: reads.Limits,
    ) -> None:
        self.strawberry, self.schema, self.api = schema, schema._schema, api
        self.rules, self.limits = (*specified_rules, *rules), limits
        self.operation = lru_cache(maxsize=CACHE_SIZE)(self.prepared)

    def prepared(self, query: str, name: str | None) -> Operation | None:
        """The query operation, when the document parses and validates."""
        try:
            document = parse(query, max_tokens=self.api.max_tokens)
        except GraphQLError:
            return None
        if validate(self.schema, document, self.rules):
            return None
        operation = get_operation_ast(document, name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        return Operation(operation, fragments)

    def selections(
        self,
        operation: Operation,
        variables: VariableValues,
        parent: GraphQLObjectType,
        grouped: Mapping[str, list[FieldDetails]],
    ) -> tuple[Selection, ...]:
        return tuple(
            self.selection(operation, variables, parent, key, details)
            for key, details in grouped.items()
        )

    def selection(
        self,
        operation: Operation,
        variables: VariableValues,
        parent: GraphQLObjectType,
        key: str,
        details: list[FieldDetails],
    ) -> Selection:
        name = details[0].node.name.value
        if name == "__typename":
            return Selection(key, name)
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent.fields[name]
        args = self.arguments(operation, definition, details[0].node, variables)
        returned = get_named_type(definition.type)
        if is_leaf_type(returned):
            return Selection(key, name, args)
        if not isinstance(returned, GraphQLObjectType):
            raise Unsupported("abstract types")
        node = operation.node
        sub = collect_subfields(
            self.schema, operation.fragments, variables, node, returned, details
        )
        children = self.selections(operation, variables, returned, sub.grouped_field_set)
        return Selection(key, name, args, children)

    def arguments(
        self,
        operation: Operation,
        definition: GraphQLField,
        node: FieldNode,
        variables: VariableValues,
    ) -> dict[str, Any]:
        """The field's arguments as its resolver would get them; worked out once per node
        when they name no variable."""
        if not definition.args:
            return {}
        if id(node) in operation.constant:
            return operation.constant[id(node)]
        raw = get_argument_values(definition, node, variables)
        field = definition.extensions["strawberry-definition"]
        registry = self.strawberry.schema_converter.scalar_registry
        args: dict[str, Any] = convert_arguments(
            raw, field.arguments, registry, self.strawberry.config
        )
        if not uses_variables(node):
            operation.constant[id(node)] = args
        return args

    def plan(
        self, parts: tuple[str, dict[str, Any], str | None], now: datetime, signed_in: bool
    ) -> reads.Plan | None:
        operation = self.operation(parts[0], parts[2])
        if operation is None:
            return None
        variables = get_variable_values(
            self.schema, operation.node.variable_definitions or (), parts[1]
        )
        if isinstance(variables, list):
            return None
        try:
            root = self.schema.query_type
            assert root is not None
            collected = collect_fields(
                self.schema, operation.fragments, variables, root, operation.node
            )
            fields = self.selections(operation, variables, root, collected.grouped_field_set)
            today = park_today(self.api, now)
            columns = SIGNED_IN if signed_in else ""
            return reads.compile_request(fields, self.limits, today, now, signed_in, columns)
        except (Unsupported, ParkgridError):
            return None

    async def answer(
        self,
        parts: tuple[str, dict[str, Any], str | None] | None,
        db: Database,
        header: str | None = None,
    ) -> bytes | None:  # a header means a token: every token is staff, or refused
        """The HTTP response body, or None to execute the request as usual. One round trip:
        with an Authorization header (not yet checked), the token is checked and the
        caller's scope set by a statement sent with the query, in its transaction."""
        now = datetime.now(UTC)
        plan = self.plan(parts, now, header is not None) if parts and self.api.fast_path else None
        if plan is None:
            return None
        statements = [(plan.sql, plan.preparable)]
        params = dict(plan.params)
        if header is not None:
            statements.insert(0, (SIGN_IN, True))
            params.update(sign_in_params(header, now))
        try:
            row = await db.at_once(statements, params)
        except (SQLAlchemyError, psycopg2.Error):
            return None
        if header is not None:
            check_signed_in(row.token_id, row.refusal)
        return None if row.redo else b'{"data":' + row.data.encode() + b"}"
