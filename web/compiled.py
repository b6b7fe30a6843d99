"""The GraphQL front end of the read compiler: a query operation (POST or GET) is parsed and
validated with the schema's rules and limits (cached per document), its fields collected as
graphql-core collects them (fragments, @skip/@include, aliases) with arguments coerced by the
schema and converted by strawberry, and the resulting `Selection` tree compiled to one SQL
statement whose JSON goes out as PostgreSQL builds it. A shape the compiler does not know, and
a request that fails (its error is the executor's to word), returns None and is executed as
usual. Documents that do not parse or validate, name no operation to run, or come with
variables that do not fit their types are refused here, for every operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import psycopg2
import strawberry
from graphql import (
    ASTValidationRule,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.utilities import get_operation_ast
from sqlalchemy.exc import SQLAlchemyError

from parkgrid import metrics, trace
from parkgrid.auth.principal import check_signed_in, reading_as, signed
from parkgrid.db import Database
from parkgrid.errors import InvalidInput, ParkgridError
from parkgrid.settings import ApiSettings
from resolvers.reads import request as reads
from resolvers.reads.sql import Unsupported
from schema.context import park_today
from schema.errors import request_error_code
from schema.selections import Collector, Operation

CACHE_SIZE = 512
UNRESOLVED = "OPERATION_RESOLUTION_FAILURE"
Entry = dict[str, Any]
"""An error as the response carries it, with its `extensions.code`."""


@dataclass(frozen=True)
class Prepared:
    """A document's operation, checked: its node and, for a query, the compiler's view of
    it; or the errors that refuse it before execution."""

    node: OperationDefinitionNode | None = None
    operation: Operation | None = None
    errors: tuple[Entry, ...] = ()


def coded(errors: Sequence[GraphQLError], code: str | None = None) -> tuple[Entry, ...]:
    """Request errors as entries, each with its rule's code or one its message implies."""
    entries = []
    for error in errors:
        entry: Entry = dict(error.formatted)
        extensions = {"code": code or request_error_code(error.message), **(error.extensions or {})}
        entries.append({**entry, "extensions": extensions})
    return tuple(entries)


def unresolved(name: str | None) -> Prepared:
    message = (
        f"operationName: the document has no operation named {name!r}"
        if name
        else "operationName: the document has several operations; name the one to run"
    )
    return Prepared(errors=coded([GraphQLError(message)], UNRESOLVED))


def variable_errors(errors: Sequence[GraphQLError]) -> list[Entry]:
    """Variables that do not fit their declared types, each named in `field`."""
    entries = []
    for error, entry in zip(errors, coded(errors, InvalidInput.code), strict=True):
        node = error.nodes[0] if error.nodes else None
        if isinstance(node, VariableDefinitionNode):
            entry["extensions"]["field"] = node.variable.name.value
        entries.append(entry)
    return entries


def signed_in_as(token_id: str, role: str) -> None:
    """Who the token checked with the query stands for, on the request's record."""
    info = trace.current()
    if info is not None:
        info.token_id, info.role = int(token_id), role


class FastPath:
    """Checks requests for one schema and one set of API limits, and compiles and answers
    the read requests."""

    def __init__(
        self,
        schema: strawberry.Schema,
        api: ApiSettings,
        rules: Sequence[type[ASTValidationRule]],
        limits: reads.Limits,
    ) -> None:
        self.schema, self.api, self.collector = schema._schema, api, Collector(schema)
        self.rules, self.limits = (*specified_rules, *rules), limits
        self.cached = lru_cache(maxsize=CACHE_SIZE)(self.prepared)

    def operation(self, query: str, name: str | None) -> Prepared:
        """The checked operation, from the cache of documents seen (counted in metrics)."""
        misses = self.cached.cache_info().misses
        found = self.cached(query, name)
        hit = self.cached.cache_info().misses == misses
        metrics.COMPILED_CACHE.labels("hit" if hit else "miss").inc()
        return found

    def prepared(self, query: str, name: str | None) -> Prepared:
        """The operation to run, when the document parses and validates and names it."""
        try:
            document = parse(query, max_tokens=self.api.max_tokens)
        except GraphQLError as error:
            return Prepared(errors=coded([error]))
        errors = validate(self.schema, document, self.rules)
        if errors:
            return Prepared(errors=coded(errors))
        operation = get_operation_ast(document, name)
        if operation is None:
            return unresolved(name)
        if operation.operation != OperationType.QUERY:
            return Prepared(operation)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return Prepared(operation, Operation.of(operation, fragments))

    def variables(self, prepared: Prepared, given: dict[str, Any]) -> VariableValues | list[Entry]:
        """The variables coerced to their declared types, or the errors naming those that
        do not fit."""
        assert prepared.node is not None
        found = get_variable_values(self.schema, prepared.node.variable_definitions or (), given)
        return variable_errors(found) if isinstance(found, list) else found

    def plan(
        self, operation: Operation, variables: VariableValues, now: datetime, signed_in: bool
    ) -> reads.Plan | None:
        try:
            fields = reads.query_fields(self.collector.root(operation, variables))
            today = park_today(self.api, now)
            plan = reads.compile_request(fields, self.limits, today, now, signed_in)
            return replace(plan, sql=signed(plan.sql)) if signed_in else plan
        except (Unsupported, ParkgridError):  # the executor words the error
            return None

    async def answer(
        self, prepared: Prepared, variables: VariableValues, db: Database, header: str | None
    ) -> bytes | None:  # a header means a token: every token is staff, or refused
        """The HTTP response body, or None to execute the request as usual. One round trip:
        with an Authorization header (not yet checked), the token is checked and the
        caller's scope set by a statement sent with the query, in its transaction. The
        database being unavailable, or the statement timing out, is raised as such."""
        now = datetime.now(UTC)
        operation = prepared.operation if self.api.fast_path else None
        plan = operation and self.plan(operation, variables, now, header is not None)
        if not isinstance(plan, reads.Plan):
            return None
        statements, params = reading_as(header, now, plan.sql, plan.params)
        try:
            row = await db.at_once(statements, params)
        except (SQLAlchemyError, psycopg2.Error):  # a bug: the executor words its error
            return None
        if header is not None:
            check_signed_in(row["token_id"], row["refusal"])
            signed_in_as(row["token_id"], row["principal"])
        if any(row["guards"]):  # the executor says why, as it would have
            return None
        data: str = row["data"]
        return b'{"data":' + data.encode() + b"}"
