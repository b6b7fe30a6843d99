"""The OpenAPI 3.0 definition of `/ogc`, linked from the landing page as `service-desc` (Part 1
Core requires an API definition; GDAL reads the largest `limit` from it and pages with it)."""

from __future__ import annotations

from typing import Any

from resolvers.gis import features

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, "style": "form", "explode": False}  # fmt: skip


COMMON = [
    parameter("bbox", {"type": "array", "minItems": 4, "maxItems": 4,
                       "items": {"type": "number"}}, "west,south,east,north in CRS84"),
    parameter("limit", {"type": "integer", "minimum": 1, "maximum": features.MAX_LIMIT,
                        "default": features.DEFAULT_LIMIT}, "features per page"),
    parameter("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
    parameter("datetime", {"type": "string"}, "accepted; no collection has a time"),
]  # fmt: skip


def response(description: str, media: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {media: {}}}}


def collection_paths(collection: features.Collection) -> dict[str, Any]:
    base = f"/collections/{collection.id}"
    filters = [parameter(name, {"type": "string"}, f"equal to {name}")
               for name in collection.filters]  # fmt: skip
    items = {"summary": collection.title, "parameters": COMMON + filters,
             "responses": response("a page of features", "application/geo+json")}  # fmt: skip
    feature = {
        "parameters": [{"name": "featureId", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": response("one feature", "application/geo+json"),
    }  # fmt: skip
    return {
        base: {"get": {"responses": response("the collection", "application/json")}},
        f"{base}/items": {"get": items},
        f"{base}/items/{{featureId}}": {"get": feature},
    }


def definition(server: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {"get": {"responses": response("landing page", "application/json")}},
        "/conformance": {"get": {"responses": response("conformance", "application/json")}},
        "/collections": {"get": {"responses": response("collections", "application/json")}},
    }
    for collection in features.COLLECTIONS.values():
        paths |= collection_paths(collection)
    return {
        "openapi": "3.0.3",
        "info": {"title": "parkgrid OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": server}],
        "paths": paths,
    }
