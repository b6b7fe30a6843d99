"""Page sizes are refused before any SQL runs: literal or variable `first` and `k` arguments
anywhere in the document are checked against the cap once the request has validated."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import ASTValidationRule, ExecutionResult, GraphQLError
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

SIZED_ARGUMENTS = {"first": 0, "k": 1}
Fragments = Mapping[str, FragmentDefinitionNode]


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


Depths = tuple[int, int]
"""The depth of ordinary fields and of introspection fields."""
INTROSPECTION_ROOTS = ("__schema", "__type")


def set_depths(
    selection_set: SelectionSetNode | None, fragments: Fragments, seen: frozenset[str], inside: bool
) -> Depths:
    found = [
        selection_depths(s, fragments, seen, inside)
        for s in (selection_set.selections if selection_set else ())
    ]
    return max((d[0] for d in found), default=0), max((d[1] for d in found), default=0)


def selection_depths(
    selection: SelectionNode, fragments: Fragments, seen: frozenset[str], inside: bool
) -> Depths:
    """A fragment spread within itself is not followed twice; a spread of an unknown
    fragment counts nothing here (another rule refuses it)."""
    if isinstance(selection, FieldNode):
        if selection.selection_set is None:
            return 0, 0
        entered = inside or selection.name.value in INTROSPECTION_ROOTS
        deepest, introspected = set_depths(selection.selection_set, fragments, seen, entered)
        return (0, 1 + introspected) if entered else (1 + deepest, introspected)
    if isinstance(selection, FragmentSpreadNode):
        name = selection.name.value
        fragment = fragments.get(name)
        if name in seen or fragment is None:
            return 0, 0
        return set_depths(fragment.selection_set, fragments, seen | {name}, inside)
    assert isinstance(selection, InlineFragmentNode)
    return set_depths(selection.selection_set, fragments, seen, inside)


def depth_rule(max_depth: int, max_introspection_depth: int) -> type[ASTValidationRule]:
    """Operations no deeper than `max_depth` fields, introspection (under `__schema` or
    `__type`) no deeper than `max_introspection_depth`: a long `ofType` chain is refused like
    any deep query."""

    class DepthLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            document = self.context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            depth, introspection = set_depths(node.selection_set, fragments, frozenset(), False)
            if introspection > max_introspection_depth:
                why = f"introspection {introspection} deep; at most {max_introspection_depth}"
                self.refuse(node, f"{why} (PARKGRID_API_MAX_INTROSPECTION_DEPTH)")
            if depth > max_depth:
                self.refuse(node, f"{depth} deep; at most {max_depth} (PARKGRID_API_MAX_DEPTH)")

        def refuse(self, node: OperationDefinitionNode, why: str) -> None:
            name = node.name.value if node.name else "the operation"
            message = f"'{name}' exceeds maximum operation depth: {why}"
            self.report_error(GraphQLError(message, node, extensions={"code": "QUERY_TOO_DEEP"}))

    return DepthLimit
