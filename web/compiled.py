"""The GraphQL front end of the read compiler: a query operation (POST or GET) is parsed and
validated with the schema's rules and limits (cached per document), its fields collected as
graphql-core collects them (fragments, @skip/@include, aliases) with arguments coerced by the
schema and converted by strawberry, and the resulting `Selection` tree compiled to one SQL
statement whose JSON goes out as PostgreSQL builds it. A shape the compiler does not know, and
a request that fails (its error is the executor's to word), returns None and is executed as
usual."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import psycopg2
import strawberry
from graphql import (
    ASTValidationRule,
    FragmentDefinitionNode,
    GraphQLError,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast
from sqlalchemy.exc import SQLAlchemyError

from parkgrid.auth.principal import SIGN_IN, SIGNED_IN, check_signed_in, sign_in_params
from parkgrid.db import Database
from parkgrid.errors import ParkgridError
from parkgrid.settings import ApiSettings
from resolvers.reads import request as reads
from resolvers.reads.sql import Unsupported
from schema.context import park_today
from schema.selections import Collector, Operation

CACHE_SIZE = 512
REQUEST_KEYS = {"query", "variables", "operationName"}


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
        self.schema, self.api, self.collector = schema._schema, api, Collector(schema)
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
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return Operation.of(operation, fragments)

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
            fields = reads.query_fields(self.collector.root(operation, variables))
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
        statements = [(plan.sql, True)]
        params = dict(plan.params)
        if header is not None:
            statements.insert(0, (SIGN_IN, True))
            params.update(sign_in_params(header, now))
        try:
            row = await db.at_once(statements, params)
        except (SQLAlchemyError, psycopg2.Error):
            return None
        if header is not None:
            check_signed_in(row["token_id"], row["refusal"])
        if any(row["guards"]):  # the executor says why, as it would have
            return None
        data: str = row["data"]
        return b'{"data":' + data.encode() + b"}"
