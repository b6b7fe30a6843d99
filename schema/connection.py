"""Relay-style connections with totalCount, generic over the node type. Declarations only:
the read compiler builds every connection (resolvers.reads.compiler.Compiler.connection)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

Node = TypeVar("Node")


@strawberry.type(description="Where a page ends, and whether another follows.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when a next page exists.")
    end_cursor: str | None = strawberry.field(
        description="The last node's cursor: pass it as `after` for the next page; null when"
        " the page is empty."
    )


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many nodes match, across all pages.")
    nodes: list[Node] = strawberry.field(description="The nodes of this page, without cursors.")
