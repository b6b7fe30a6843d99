"""A subscription message executed once for all the subscribers that receive it.

graphql-core executes a subscription's selection over each event for each subscriber; with a
thousand maps open that was the largest part of a change's cost (see README, "Many
subscribers"). The streams share what they read (schema.live_stream): subscribers asking the
same about the same change in the same scope get the very same item object. So an event's
execution is kept, for a few seconds, by the item's identity, the operation's document node
(the parser cache gives equal documents one node) and the variables, and the next subscriber
with all three equal is given the same result. Only results without errors are kept, and the
item and the document are held with the result, so their identities stay theirs."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, GraphQLSchema, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

KEEP_S = 5.0
EXTENSION = "parkgrid.executed_events"


class Executed:
    """Kept results of subscription events: key -> (when, item, document node, result)."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self.kept: dict[tuple[int, int, str], tuple[float, Any, Any, ExecutionResult]] = {}

    def get(self, key: tuple[int, int, str]) -> ExecutionResult | None:
        old = time.monotonic() - self.keep_s
        while self.kept and next(iter(self.kept.values()))[0] < old:
            del self.kept[next(iter(self.kept))]
        found = self.kept.get(key)
        return None if found is None else found[3]

    def keep(self, key: tuple[int, int, str], item: Any, node: Any, result: Any) -> None:
        if isinstance(result, ExecutionResult) and not result.errors:
            self.kept[key] = (time.monotonic(), item, node, result)


def share_events(schema: GraphQLSchema) -> None:
    """Give `schema` the store its subscription events are kept in."""
    schema.extensions = {**(schema.extensions or {}), EXTENSION: Executed()}


class SharedEvents(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, executing a subscription event once per item, document and
    variables (everything else as before)."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        store = (self.schema.extensions or {}).get(EXTENSION)
        item = self.root_value
        if (
            not isinstance(store, Executed)
            or self.operation.operation != OperationType.SUBSCRIPTION
            or not isinstance(item, dict)
        ):
            return super().execute_operation(serially)
        variables: dict[str, Any] = self.variable_values.coerced or {}
        key = (id(item), id(self.operation), repr(sorted(variables.items())))
        found = store.get(key)
        if found is not None:
            return found
        result = super().execute_operation(serially)
        if isinstance(result, Awaitable):
            return self.kept_later(store, key, item, result)
        store.keep(key, item, self.operation, result)
        return result

    async def kept_later(
        self, store: Executed, key: tuple[int, int, str], item: Any, pending: Awaitable[Any]
    ) -> Any:
        result = await pending
        store.keep(key, item, self.operation, result)
        return result
