"""Reading the file and checking each feature on its own: properties, shape, duplicate keys."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import orjson
from shapely.geometry.base import BaseGeometry

from parkgrid.importer.kinds import (
    GeometryReader,
    Kind,
    Parsed,
    Reader,
    area_code,
    optional_text,
    required_text,
)
from parkgrid.importer.outcomes import Problem, whole_file
from parkgrid.importer.progress import tracked


def read_features(path: Path) -> list[Any]:
    document = load_json(path)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise whole_file("file", "must be a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise whole_file("file", "'features' must be an array")
    return features


def load_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise whole_file("file", f"cannot be read: {exc.strerror}") from exc
    except orjson.JSONDecodeError as exc:
        raise whole_file("file", f"is not valid JSON: {exc}") from exc


def read_all(kind: Kind, features: list[Any], srid: int) -> tuple[list[Parsed], list[Problem]]:
    readers = field_readers(kind, srid)
    parsed: list[Parsed] = []
    problems: list[Problem] = []
    for feature in tracked(features, f"checking {kind.name}", len(features)):
        parsed.append(Parsed(len(parsed)))
        problems += read_feature(readers, parsed[-1], feature)
    return parsed, problems + duplicates(kind, parsed)


def field_readers(kind: Kind, srid: int) -> dict[str, Reader]:
    readers: dict[str, Reader] = {kind.key: kind.read_key, "name": required_text}
    if kind.parent:
        readers[kind.parent] = area_code
    readers |= {name: optional_text for name in kind.optional}
    return readers | {"geometry": partial(read_geometry, kind.read_geometry, srid)}


def read_geometry(read: GeometryReader, srid: int, value: Any) -> BaseGeometry:
    if value is None:
        raise ValueError("is missing")
    return read(value, srid)


def read_feature(readers: dict[str, Reader], item: Parsed, feature: Any) -> list[Problem]:
    flaw = feature_flaw(item.index, feature)
    if flaw:
        return [flaw]
    raw = {**(feature.get("properties") or {}), "geometry": feature.get("geometry")}
    problems = []
    for prop, read in readers.items():
        try:
            item.values[prop] = read(raw.get(prop))
        except ValueError as exc:
            problems.append(Problem(item.index, prop, str(exc)))
    return problems


def feature_flaw(index: int, feature: Any) -> Problem | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return Problem(index, "type", "must be a GeoJSON Feature object")
    if not isinstance(feature.get("properties") or {}, dict):
        return Problem(index, "properties", "must be an object")
    return None


def duplicates(kind: Kind, parsed: list[Parsed]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for item in parsed:
        key = item.values.get(kind.key)
        if key is not None and first.setdefault(key, item.index) != item.index:
            reason = f"duplicate {key!r}, also given at features[{first[key]}]"
            problems.append(Problem(item.index, kind.key, reason))
    return problems
