"""Filtered lists and nearest-neighbour queries over the whole service."""

from __future__ import annotations

import strawberry

from parkgrid.errors import InvalidInput
from resolvers import cadres, enterprises, issues
from resolvers.filters import checked_point
from schema.connection import Connection, connection
from schema.context import Info
from schema.enterprise import Enterprise
from schema.inputs import (
    EnterpriseFilterInput,
    EnterpriseOrder,
    IssueFilterInput,
    enterprise_filter,
    issue_filter,
)
from schema.ledger import Issue
from schema.people import Cadre


def checked_k(info: Info, k: int) -> int:
    cap = info.context.api.max_page_size
    if not 1 <= k <= cap:
        raise InvalidInput(f"must be between 1 and {cap}", field="k")
    return k


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Enterprises matching every condition of the filter.")
    async def enterprises(
        self,
        info: Info,
        filter: EnterpriseFilterInput | None = None,
        order_by: EnterpriseOrder = EnterpriseOrder.CODE,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Enterprise]:
        request, where = (
            info.context.page(first, after),
            enterprise_filter(filter, info.context.principal.is_staff),
        )
        page = await info.context.db.read(enterprises.search, where, order_by.value, request)

        async def count() -> int:
            return await info.context.db.read(enterprises.count, where)

        return connection(page, Enterprise.of, count)

    @strawberry.field(
        description="The k enterprises nearest to a WGS 84 point (geodesic), nearest first,"
        " each with distanceMeters."
    )
    async def nearest_enterprises(
        self, info: Info, lon: float, lat: float, k: int = 10
    ) -> list[Enterprise]:
        checked_point(lon, lat, "lon/lat")
        found = await info.context.db.read(enterprises.nearest, lon, lat, checked_k(info, k))
        return [Enterprise.of(record) for record in found]

    @strawberry.field(
        description="The k cadres nearest to a point, a cadre's distance being that of the"
        " nearest enterprise they currently serve as liaison; nearest first."
    )
    async def nearest_cadres(self, info: Info, lon: float, lat: float, k: int = 10) -> list[Cadre]:
        checked_point(lon, lat, "lon/lat")
        moment, size = info.context.now, checked_k(info, k)
        found = await info.context.db.read(cadres.nearest, lon, lat, size, moment)
        return [Cadre.of(record) for record in found]

    @strawberry.field(description="Issues matching every condition of the filter, newest first.")
    async def issues(
        self,
        info: Info,
        filter: IssueFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Issue]:
        request, where = info.context.page(first, after), issue_filter(filter, info.context.today)
        page = await info.context.db.read(issues.search, where, request)

        async def count() -> int:
            return await info.context.db.read(issues.count, where)

        return connection(page, Issue.of, count)
