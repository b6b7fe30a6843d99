"""The compiled fast path: a POSTed request whose every field compiles (see
resolvers.compiled) is answered by one SQL statement whose JSON goes out as it comes from
PostgreSQL, without field-by-field execution. The request is parsed and validated with the
same rules and limits as the schema (both cached); variables are coerced as graphql-core
would. Anything else, and any request that would fail, returns None and is executed as
usual, so errors read the same either way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from parkgrid.auth.principal import authenticate
from parkgrid.db import Database
from parkgrid.settings import ApiSettings
from resolvers import compiled
from resolvers.compiled import Selection, Unsupported

CACHE_SIZE = 512
REQUEST_KEYS = {"query", "variables", "operationName"}


def field_selection(node: FieldNode, variables: dict[str, Any]) -> Selection:
    if node.directives:
        raise Unsupported("directives")
    arguments = node.arguments or ()
    args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in arguments}
    key = node.alias.value if node.alias else node.name.value
    return Selection(key, node.name.value, args, selections(node.selection_set, variables))


def selections(
    selection_set: SelectionSetNode | None, variables: dict[str, Any]
) -> tuple[Selection, ...]:
    chosen = selection_set.selections if selection_set else ()
    if not all(isinstance(node, FieldNode) for node in chosen):
        raise Unsupported("fragments")
    return tuple(field_selection(node, variables) for node in chosen)  # type: ignore[arg-type]


def request_parts(body: bytes) -> tuple[str, dict[str, Any], str | None] | None:
    """query, variables and operation name of a plain JSON request, else None."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
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


class FastPath:
    """Answers compiled requests for one schema and one set of API limits."""

    def __init__(
        self, schema: GraphQLSchema, api: ApiSettings, rules: Sequence[type[ASTValidationRule]]
    ) -> None:
        self.schema, self.api = schema, api
        self.rules = (*specified_rules, *rules)
        self.operation = lru_cache(maxsize=CACHE_SIZE)(self.prepared)

    def prepared(self, query: str, name: str | None) -> OperationDefinitionNode | None:
        """The operation, when the document parses, validates and has no fragments."""
        try:
            document = parse(query, max_tokens=self.api.max_tokens)
        except GraphQLError:
            return None
        if validate(self.schema, document, self.rules):
            return None
        if any(isinstance(d, FragmentDefinitionNode) for d in document.definitions):
            return None
        operation = get_operation_ast(document, name)
        return operation if operation and operation.operation == OperationType.QUERY else None

    def plan(self, body: bytes, today: date, staff: bool) -> compiled.Plan | None:
        parts = request_parts(body)
        operation = self.operation(parts[0], parts[2]) if parts else None
        if parts is None or operation is None:
            return None
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), parts[1])
        if isinstance(coerced, list):
            return None
        try:
            fields = selections(operation.selection_set, coerced.coerced)
            api = self.api
            return compiled.compile_request(
                fields, api.default_page_size, api.max_page_size, today, staff
            )
        except Unsupported:
            return None

    async def answer(
        self, body: bytes, db: Database, today: date, header: str | None = None
    ) -> bytes | None:  # a header means a token: every token is staff, or refused
        """The HTTP response body, or None to execute the request as usual. With an
        Authorization header (not yet checked), the token is checked and the caller's scope
        set on the same connection as the query: one trip to the database, not two."""
        staff = header is not None
        plan = self.plan(body, today, staff) if self.api.fast_path else None
        if plan is None:
            return None
        try:
            if header is None:
                data = await db.read(compiled.run, plan)
            else:
                data = await db.read(run_signed_in, header, datetime.now(UTC), plan)
        except SQLAlchemyError:
            return None
        return b'{"data":' + data.encode() + b"}"


def run_signed_in(conn: Connection, header: str, now: datetime, plan: compiled.Plan) -> str:
    """UNAUTHENTICATED for a bad token, as everywhere; signing in sets the caller's scope."""
    authenticate(conn, header, now)
    return compiled.run(conn, plan)
