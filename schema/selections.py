"""GraphQL fields to the read compiler's `Selection` trees, as graphql-core collects them
(fragments, @skip/@include, aliases) with arguments coerced by the schema and converted by
strawberry: the same values a resolver would get. Used for whole requests (web.compiled) and
for a field the executor is resolving (schema.reading)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import FragmentSpreadNode, Node, ValueNode, VariableNode
from strawberry.types.arguments import convert_arguments

from resolvers.reads.selection import Selection
from resolvers.reads.sql import Unsupported
from schema.arguments import check_arguments, input_limits, variables_of


@dataclass(frozen=True)
class Operation:
    node: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    constant: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Converted arguments of the field nodes whose arguments name no variable, by node."""
    static: dict[tuple[int, ...], Selection] = field(default_factory=dict)
    """Selections whose whole subtree names no variable, by their field nodes."""
    varying: set[tuple[int, ...]] = field(default_factory=set)
    """Field nodes whose subtree names a variable."""

    @classmethod
    def of(
        cls, node: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> Operation:
        return cls(node, {name: FragmentDetails(d) for name, d in fragments.items()})


def uses_variables(node: FieldNode) -> bool:
    arguments = node.arguments or ()
    return any(isinstance(n, VariableNode) for a in arguments for n in walk(a.value))


def names_variables(node: Node, fragments: Mapping[str, FragmentDetails]) -> bool:
    """Whether anything below `node` (arguments, directives, spread fragments) names a
    variable: if nothing does, its selection is the same for every request."""
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, FragmentSpreadNode):
        spread = fragments.get(node.name.value)
        inner = [spread.definition] if spread else []
        return any(names_variables(n, fragments) for n in [*(node.directives or ()), *inner])
    return any(
        names_variables(child, fragments)
        for key in node.keys
        for child in children_of(getattr(node, key, None))
    )


def children_of(value: Any) -> Iterator[Node]:
    if isinstance(value, Node):
        yield value
    elif isinstance(value, tuple | list):
        yield from (item for item in value if isinstance(item, Node))


def walk(value: ValueNode) -> Iterator[ValueNode]:
    yield value
    if isinstance(value, ListValueNode):
        for item in value.values:
            yield from walk(item)
    elif isinstance(value, ObjectValueNode):
        for entry in value.fields:
            yield from walk(entry.value)


Details = list[FieldDetails]
"""The nodes of one response key (a field asked more than once, by fragments)."""


class Collector:
    """Builds selections for one strawberry schema."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.strawberry, self.schema = schema, schema._schema

    def root(self, operation: Operation, variables: VariableValues) -> tuple[Selection, ...]:
        """The selections of a query operation."""
        root = self.schema.query_type
        assert root is not None
        found = collect_fields(self.schema, operation.fragments, variables, root, operation.node)
        return self.selections(operation, variables, root, found.grouped_field_set)

    def resolving(
        self, info: GraphQLResolveInfo[Any], runtime: GraphQLObjectType | None = None
    ) -> Selection:
        """The field the executor is resolving, with its subtree (`runtime`: the concrete
        type of an abstract field's value)."""
        operation = Operation.of(info.operation, info.fragments)
        details = [FieldDetails(node, None) for node in info.field_nodes]
        key = str(info.path.key)
        variables = variables_of(info)
        return self.selection(operation, variables, info.parent_type, key, details, runtime)

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
        details: Details,
        runtime: GraphQLObjectType | None = None,
    ) -> Selection:
        name = details[0].node.name.value
        if name == "__typename":
            return Selection(key, name)
        nodes = tuple(id(d.node) for d in details)
        if nodes in operation.static and runtime is None:
            return operation.static[nodes]
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent.fields[name]
        args = self.arguments(operation, definition, details[0].node, variables)
        returned = runtime or get_named_type(definition.type)
        found = Selection(key, name, args, self.below(operation, variables, returned, details))
        if runtime is None and nodes not in operation.varying:
            if any(names_variables(d.node, operation.fragments) for d in details):
                operation.varying.add(nodes)
            else:
                operation.static[nodes] = found
        return found

    def below(
        self, operation: Operation, variables: VariableValues, returned: Any, details: Details
    ) -> tuple[Selection, ...]:
        """The selections under a field whose value is of type `returned`: none for a leaf."""
        if is_leaf_type(returned):
            return ()
        if not isinstance(returned, GraphQLObjectType):
            raise Unsupported("abstract types")
        sub = collect_subfields(
            self.schema, operation.fragments, variables, operation.node, returned, details
        )
        return self.selections(operation, variables, returned, sub.grouped_field_set)

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
        check_arguments(definition, raw, input_limits(self.schema))
        strawberry_field = definition.extensions["strawberry-definition"]
        registry = self.strawberry.schema_converter.scalar_registry
        args: dict[str, Any] = convert_arguments(
            raw, strawberry_field.arguments, registry, self.strawberry.config
        )
        if not uses_variables(node):
            operation.constant[id(node)] = args
        return args
