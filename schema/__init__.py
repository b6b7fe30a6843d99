"""The GraphQL schema: strawberry types over the resolvers."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from parkgrid.errors import ParkgridError
from parkgrid.settings import ApiSettings
from schema.errors import ErrorCodes
from schema.limits import PageSizeLimiter
from schema.query import Query
from schema.scalars import SCALARS


class ParkSchema(strawberry.Schema):
    """Logs only unexpected errors; expected ones are the client's business."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if not isinstance(e.original_error, ParkgridError)]
        super().process_errors(unexpected, execution_context)


def build_schema(api: ApiSettings) -> strawberry.Schema:
    return ParkSchema(
        query=Query,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=api.max_tokens),
            lambda: QueryDepthLimiter(max_depth=api.max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=api.max_aliases),
            lambda: PageSizeLimiter(cap=api.max_page_size),
            ParserCache,
            ValidationCache,
            lambda: ErrorCodes(should_mask_error=lambda _error: True),
        ],
    )
