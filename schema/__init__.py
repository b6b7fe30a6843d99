"""The GraphQL schema: strawberry types over the resolvers."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from parkgrid.errors import ParkgridError
from parkgrid.settings import ApiSettings
from schema.arguments import ArgumentLimits, InputLimits, describe_limits
from schema.described import describe_repeated
from schema.errors import ErrorCodes
from schema.limits import PageSizeLimiter, depth_rule
from schema.live import Subscription
from schema.live_events import SharedEvents, share_events
from schema.mutation import Mutation
from schema.query import Query
from schema.reading import answered_by_compiler
from schema.scalars import SCALARS

CACHE_SIZE = 512


class ParkSchema(strawberry.Schema):
    """Logs only unexpected errors; expected ones are the client's business."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if not isinstance(e.original_error, ParkgridError)]
        super().process_errors(unexpected, execution_context)


def limit_rules(api: ApiSettings) -> list[type[ASTValidationRule]]:
    """Depth and alias limits (and no introspection, when it is off) as validation rules.
    Make them once per schema: the validation cache is keyed by the rule classes, so new
    classes per request would defeat it."""
    rules = [depth_rule(api.max_depth, api.max_introspection_depth), alias_rule(api.max_aliases)]
    return rules if api.introspection else [*rules, NoSchemaIntrospectionCustomRule]


def build_schema(api: ApiSettings, limits: list[type[ASTValidationRule]]) -> strawberry.Schema:
    schema = ParkSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
        execution_context_class=SharedEvents,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=api.max_tokens),
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: AddValidationRules(limits),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            lambda: PageSizeLimiter(cap=api.max_page_size),
            ArgumentLimits,
            lambda: ErrorCodes(should_mask_error=lambda _error: True),
        ],
    )
    answered_by_compiler(schema._schema)
    describe_repeated(schema._schema, api)
    share_events(schema._schema)
    describe_limits(schema._schema, InputLimits.of(api))
    return schema
