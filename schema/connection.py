"""Relay-style connections with totalCount, generic over the node type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from resolvers.pagination import Page

Node = TypeVar("Node")
Record = TypeVar("Record")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many nodes match, across all pages.")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[Node]:
        return [edge.node for edge in self.edges]


def connection(
    page: Page[Record] | None,
    to_node: Callable[[Record], Node],
    count: Callable[[], Awaitable[int]],
) -> Connection[Node]:
    items = page.items if page else []
    cursors = page.cursors if page else []
    return Connection(
        edges=[Edge(cursor=c, node=to_node(item)) for c, item in zip(cursors, items, strict=True)],
        page_info=PageInfo(
            has_next_page=bool(page and page.has_next),
            end_cursor=page.end_cursor if page else None,
        ),
        count=count,
    )
