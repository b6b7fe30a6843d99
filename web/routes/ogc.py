"""OGC API – Features, Part 1 Core, under `/ogc`: the zones, grids, enterprises and open
issues as feature collections that QGIS and GDAL open as layers.

Every read goes through the caller's scoped views (`database_for`), as GraphQL's do. An items
page or a feature is one SQL statement whose JSON goes out as PostgreSQL wrote it; links are
made here from the configured public URL (web/routes/links.py: never from an unknown Host) and
the request's path, keeping its other query parameters. Errors are OGC exception JSON,
`{"code", "description"}`. The only encodings are JSON and GeoJSON: `f=json` (and `f=geojson`
for features) is honoured, any other `f` refused, and Accept not consulted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parkgrid.errors import InvalidInput, NotFound
from parkgrid.settings import ApiSettings
from resolvers.filters import BBox, checked_bbox
from resolvers.gis import features
from schema.context import park_today
from web.middleware import database_for
from web.routes import errors
from web.routes.errors import Handler, exception_response
from web.routes.links import PublicLinks
from web.routes.ogc_openapi import OPENAPI, definition
from web.routes.query_params import typed

JSON, GEOJSON = "application/json", "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
METADATA_FORMATS = {"json": JSON}
FEATURE_FORMATS = {"geojson": GEOJSON, "json": GEOJSON}
ITEMS_PARAMETERS = {"f", "bbox", "limit", "offset", "datetime"}
MAX_OFFSET = 2**62  # offset + limit stays a bigint


def answering(handler: Handler) -> Handler:
    return errors.answering(handler, exception_response)


def checked_parameters(params: QueryParams, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise InvalidInput(f"unknown parameter {name!r}; known: {known}", field=name)
        if len(params.getlist(name)) > 1:
            raise InvalidInput(f"parameter {name!r} is given more than once", field=name)


def media_type(params: QueryParams, formats: Mapping[str, str]) -> str:
    """The response's media type: by `f` when given, else the resource's own."""
    wanted = params.get("f")
    if wanted is None:
        return next(iter(formats.values()))
    if wanted not in formats:
        raise InvalidInput(f"f={wanted!r} is not offered; f: {', '.join(formats)}", field="f")
    return formats[wanted]


def link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    found = {"href": href, "rel": rel, "type": media}
    return found | {"title": title} if title else found


def base_of(links: PublicLinks, request: Request) -> str:
    return links.base(request) + "/ogc"


def collection_named(name: str) -> features.Collection:
    found = features.COLLECTIONS.get(name)
    if found is None:
        known = ", ".join(features.COLLECTIONS)
        raise NotFound(f"no collection {name!r}; collections: {known}", field="collectionId")
    return found


def metadata_media(request: Request) -> str:
    """A metadata document's media type, after checking its request carries only `f`."""
    checked_parameters(request.query_params, {"f"})
    return media_type(request.query_params, METADATA_FORMATS)


async def landing(request: Request, links: PublicLinks) -> Response:
    base, media = base_of(links, request), metadata_media(request)
    return Response(orjson.dumps({
        "title": "parkgrid",
        "description": "The industrial park's zones, grids, enterprises and open issues"
        " as OGC API – Features collections.",
        "links": [
            link(base, "self", JSON, "This document"),
            link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections", "data", JSON, "Feature collections"),
        ],
    }), media_type=media)  # fmt: skip


async def api_definition(request: Request, links: PublicLinks) -> Response:
    return Response(orjson.dumps(definition(base_of(links, request))), media_type=OPENAPI)


async def conformance(request: Request) -> Response:
    media = metadata_media(request)
    return Response(orjson.dumps({"conformsTo": CONFORMANCE}), media_type=media)


def collection_document(
    base: str, collection: features.Collection, box: list[float] | None
) -> dict[str, Any]:
    url = f"{base}/collections/{collection.id}"
    document: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "links": [
            link(url, "self", JSON, collection.title),
            link(f"{url}/items", "items", GEOJSON, f"{collection.title} as GeoJSON"),
        ],
    }
    if box is not None:
        document["extent"] = {"spatial": {"bbox": [box], "crs": CRS84}}
    return document


async def collections(request: Request, links: PublicLinks) -> Response:
    base, media = base_of(links, request), metadata_media(request)
    names = tuple(features.COLLECTIONS)
    boxes = await database_for(request).read(features.extents, names)
    found = [collection_document(base, features.COLLECTIONS[n], boxes[n]) for n in names]
    own = [link(f"{base}/collections", "self", media, "Feature collections")]
    return Response(orjson.dumps({"links": own, "collections": found}), media_type=media)


async def one_collection(request: Request, links: PublicLinks) -> Response:
    collection = collection_named(request.path_params["collection"])
    media = metadata_media(request)
    boxes = await database_for(request).read(features.extents, (collection.id,))
    document = collection_document(base_of(links, request), collection, boxes[collection.id])
    return Response(orjson.dumps(document), media_type=media)


def checked_datetime(raw: str | None) -> None:
    """An RFC 3339 instant or interval (`..` or nothing for an open end). No collection has a
    temporal geometry, so a valid value matches every feature, as Part 1 requires."""
    if not raw:
        return
    ends = raw.split("/")
    if len(ends) > 2 or (len(ends) == 2 and all(end in ("", "..") for end in ends)):
        raise InvalidInput(f"{raw!r} is not an RFC 3339 instant or interval", field="datetime")
    for end in ends:
        if len(ends) == 2 and end in ("", ".."):
            continue
        try:
            datetime.fromisoformat(end)
        except ValueError:
            raise InvalidInput(f"{end!r} is not an RFC 3339 date-time", "datetime") from None


def parsed_bbox(raw: str | None) -> BBox | None:
    if not raw:
        return None
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []  # refused below as not 4 numbers
    try:
        return checked_bbox(values, "bbox")
    except InvalidInput as error:
        raise InvalidInput(f"bbox {raw!r}: {error.message}", field="bbox") from None


def items_query(collection: features.Collection, params: QueryParams) -> features.ItemsQuery:
    checked_parameters(params, ITEMS_PARAMETERS | set(collection.filters))
    checked_datetime(params.get("datetime"))
    limit = typed(params, "limit", int, features.DEFAULT_LIMIT)
    offset = typed(params, "offset", int, 0)
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1 (at most {features.MAX_LIMIT})", "limit")
    if not 0 <= offset < MAX_OFFSET:
        raise InvalidInput(f"offset must be at least 0 and below {MAX_OFFSET}", field="offset")
    filters = tuple(
        features.checked_filter(collection, name, value)
        for name, value in params.multi_items()
        if name not in ITEMS_PARAMETERS
    )
    return features.ItemsQuery(
        parsed_bbox(params.get("bbox")), min(limit, features.MAX_LIMIT), offset, filters
    )


def page_links(
    request: Request,
    links: PublicLinks,
    collection: features.Collection,
    query: features.ItemsQuery,
    media: str,
) -> dict[str, str | None]:
    """self, collection, prev (unless on the first page) and next (the statement keeps it
    only when more features remain), as JSON text; other parameters are kept as given."""
    base = base_of(links, request)
    after, before = query.offset + query.limit, max(0, query.offset - query.limit)
    made = {
        "self": link(links.here(request), "self", media, "This page"),
        "collection": link(f"{base}/collections/{collection.id}", "collection", JSON),
        "prev": link(links.here(request, offset=before), "prev", media, "Previous page"),
        "next": link(links.here(request, offset=after), "next", media, "Next page"),
    }
    found: dict[str, str | None] = {rel: orjson.dumps(v).decode() for rel, v in made.items()}
    return found | {"prev": None} if query.offset == 0 else found


def ogc_routes(api: ApiSettings) -> list[Route]:
    links = PublicLinks.of()

    def today() -> date:
        return park_today(api, datetime.now(UTC))

    async def items(request: Request) -> Response:
        collection = collection_named(request.path_params["collection"])
        query = items_query(collection, request.query_params)
        media = media_type(request.query_params, FEATURE_FORMATS)
        made = page_links(request, links, collection, query, media)
        body = await database_for(request).read(features.items, collection, query, made, today())
        return Response(body.encode(), media_type=media)

    async def one_feature(request: Request) -> Response:
        collection = collection_named(request.path_params["collection"])
        checked_parameters(request.query_params, {"f"})
        media = media_type(request.query_params, FEATURE_FORMATS)
        raw = request.path_params["feature"]
        fid = collection.parsed_id(raw)
        url = f"{base_of(links, request)}/collections/{collection.id}"
        made = {
            "self": orjson.dumps(link(links.here(request), "self", media, "This feature")).decode(),
            "collection": orjson.dumps(link(url, "collection", JSON, collection.title)).decode(),
        }
        body = None
        if fid is not None:
            db = database_for(request)
            body = await db.read(features.feature, collection, fid, made, today())
        if body is None:
            raise NotFound(f"no feature {raw!r} in {collection.id}", field="featureId")
        return Response(body.encode(), media_type=media)

    def linking(handler: Callable[[Request, PublicLinks], Awaitable[Response]]) -> Handler:
        async def linked(request: Request) -> Response:
            return await handler(request, links)

        return answering(linked)

    return [
        Route("/ogc", linking(landing), methods=["GET"]),
        Route("/ogc/api", linking(api_definition), methods=["GET"]),
        Route("/ogc/conformance", answering(conformance), methods=["GET"]),
        Route("/ogc/collections", linking(collections), methods=["GET"]),
        Route("/ogc/collections/{collection}", linking(one_collection), methods=["GET"]),
        Route("/ogc/collections/{collection}/items", answering(items), methods=["GET"]),
        Route(
            "/ogc/collections/{collection}/items/{feature}", answering(one_feature), methods=["GET"]
        ),
    ]
