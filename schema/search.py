"""Filtered lists and nearest-neighbour queries over the whole service."""

from __future__ import annotations

import strawberry

from parkgrid.errors import InvalidInput
from resolvers.filters import checked_point
from resolvers.reads import cadres
from schema import reading
from schema.connection import Connection
from schema.context import Info
from schema.enterprise import Enterprise
from schema.inputs import (
    EnterpriseFilterInput,
    EnterpriseOrder,
    IssueFilterInput,
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
        return await reading.query(info)

    @strawberry.field(
        description="The k enterprises nearest to a WGS 84 point (geodesic), nearest first,"
        " each with distanceMeters."
    )
    async def nearest_enterprises(
        self, info: Info, lon: float, lat: float, k: int = 10
    ) -> list[Enterprise]:
        return await reading.query(info)

    @strawberry.field(
        description="The k cadres nearest to a point, a cadre's distance being that of the"
        " nearest enterprise they currently serve as liaison; nearest first."
    )
    async def nearest_cadres(self, info: Info, lon: float, lat: float, k: int = 10) -> list[Cadre]:
        checked_point(lon, lat, "lon/lat")
        moment, size = info.context.now, checked_k(info, k)
        found = await info.context.db.read(cadres.nearest, lon, lat, size, moment)
        ranked = [(cadre.id, cadre.distance_m) for cadre in found]
        return await reading.ranked(info, ranked)

    @strawberry.field(description="Issues matching every condition of the filter, newest first.")
    async def issues(
        self,
        info: Info,
        filter: IssueFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Issue]:
        return await reading.query(info)
