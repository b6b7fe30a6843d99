"""Page sizes are refused before any SQL runs: literal or variable `first` and `k` arguments
anywhere in the document are checked against the cap once the request has validated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

SIZED_ARGUMENTS = {"first": 0, "k": 1}


def selections(selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        yield from selections(getattr(selection, "selection_set", None))


def sized_arguments(document: DocumentNode) -> Iterator[ArgumentNode]:
    for definition in document.definitions:
        for field in selections(getattr(definition, "selection_set", None)):
            yield from (a for a in field.arguments or () if a.name.value in SIZED_ARGUMENTS)


def argument_value(argument: ArgumentNode, variables: dict[str, Any]) -> Any:
    node = argument.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    return None


def size_error(name: str, value: int, cap: int) -> GraphQLError | None:
    low = SIZED_ARGUMENTS[name]
    if low <= value <= cap:
        return None
    message = f"{name}: is {value}; it must be between {low} and {cap}"
    return GraphQLError(message, extensions={"code": "PAGE_SIZE_EXCEEDED", "field": name})


class PageSizeLimiter(SchemaExtension):
    """Refuses the whole request when any page size is out of range."""

    def __init__(self, cap: int) -> None:
        self.cap = cap

    def on_execute(self) -> Iterator[None]:
        errors = self.errors()
        if errors:
            self.execution_context.result = ExecutionResult(data=None, errors=errors)
        yield

    def errors(self) -> list[GraphQLError]:
        document = self.execution_context.graphql_document
        variables = self.execution_context.variables or {}
        found = []
        for argument in sized_arguments(document) if document else ():
            value = argument_value(argument, variables)
            error = (
                size_error(argument.name.value, value, self.cap) if isinstance(value, int) else None
            )
            found += [error] if error else []
        return found
