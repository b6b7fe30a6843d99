"""The compiled fast path: a request whose every field compiles (see resolvers.compiled)
is answered by one SQL statement, skipping field-by-field execution; any other request is
executed as usual. Variables are coerced as graphql-core would, and a request that would
fail takes the ordinary path, so errors read the same either way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension

from resolvers import compiled
from resolvers.compiled import Selection, Unsupported
from schema.context import Context


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


def plain_query(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    if any(isinstance(d, FragmentDefinitionNode) for d in document.definitions):
        return None
    operation = get_operation_ast(document, name)
    return operation if operation and operation.operation == OperationType.QUERY else None


def coerced(
    schema: GraphQLSchema, operation: OperationDefinitionNode, given: dict[str, Any]
) -> dict[str, Any] | None:
    values = get_variable_values(schema, operation.variable_definitions or (), given)
    return None if isinstance(values, list) else values.coerced


class FastPath(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        run = self.execution_context
        plan = None if run.result else self.plan()
        if plan is not None:
            context: Context = run.context
            answer = await context.db.read(compiled.run, *plan)
            run.result = ExecutionResult(data=orjson.loads(answer))
        yield

    def plan(self) -> tuple[str, dict[str, Any]] | None:
        run = self.execution_context
        context: Context = run.context
        document = run.graphql_document
        operation = plain_query(document, run.operation_name) if document else None
        variables = (
            coerced(run.schema._schema, operation, run.variables or {}) if operation else None
        )
        if operation is None or variables is None or not context.api.fast_path:
            return None
        try:
            fields = selections(operation.selection_set, variables)
            api = context.api
            return compiled.compile_request(
                fields, api.default_page_size, api.max_page_size, context.today
            )
        except Unsupported:
            return None
