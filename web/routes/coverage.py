"""`/coverage/{park}/{layer}.geojson`: each list of the coverage report as a FeatureCollection,
with the same arguments as the GraphQL `coverage` field as query parameters. `?zone=` gives
the zone's layer of the same report (the park's, restricted to the zone), so a map of a zone
shows the very features and figures of the park's map."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parkgrid.errors import Forbidden, NotFound
from parkgrid.settings import ApiSettings
from resolvers.reads import coverage
from resolvers.reads.coverage.layers import LAYERS, feature_collection
from schema.context import park_today
from web.middleware import database_for, principal_of
from web.routes.errors import answering
from web.routes.query_params import typed

GEOJSON = "application/geo+json"


def thresholds(request: Request) -> coverage.Thresholds:
    params, defaults = request.query_params, coverage.Thresholds()
    return coverage.checked_thresholds(
        typed(params, "minGapSqM", float, defaults.min_gap_m2),
        typed(params, "maxPerLiaison", int, defaults.max_per_liaison),
        typed(params, "minPerLiaison", int, defaults.min_per_liaison),
        typed(params, "serviceDays", int, defaults.service_days),
    )


def checked_layer(layer: str) -> str:
    if layer not in LAYERS:
        raise NotFound(f"no layer {layer!r}; layers: {', '.join(LAYERS)}", field="layer")
    return layer


async def layer_body(request: Request, api: ApiSettings) -> bytes:
    layer = checked_layer(request.path_params["layer"])
    if not principal_of(request).is_staff:
        raise Forbidden("sign in: the coverage report needs a token", field="Authorization")
    db = database_for(request)
    now = datetime.now(UTC)
    zone = request.query_params.get("zone") or None
    park = request.path_params["park"]
    found = await db.read(
        coverage.report, park, zone, now, park_today(api, now), thresholds(request)
    )
    return orjson.dumps(feature_collection(found, layer))


def coverage_routes(api: ApiSettings) -> list[Route]:
    async def layer(request: Request) -> Response:
        return Response(await layer_body(request, api), media_type=GEOJSON)

    return [Route("/coverage/{park}/{layer}.geojson", answering(layer), methods=["GET"])]
