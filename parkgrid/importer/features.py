"""Reading a GeoJSON file, and checking each feature on its own: properties and shape."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
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

EPSG_NAME = re.compile(r"(?:^|:)EPSG:(?:[\d.]*:)?(\d+)$", re.IGNORECASE)
CRS84 = re.compile(r"(?:^|:)CRS:?84$", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """The file's features, and the CRS its (pre-RFC 7946) `crs` member names, if any: GDAL
    and QGIS still write one for data they export in another CRS."""

    features: list[Any]
    declared_srid: int | None


def read_document(path: Path) -> Document:
    document = load_json(path)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise whole_file("file", "must be a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise whole_file("file", "'features' must be an array")
    return Document(features, declared_srid(document.get("crs")))


def declared_srid(member: Any) -> int | None:
    """The SRID a `crs` member names ("EPSG:4547", "urn:ogc:def:crs:EPSG::4547", CRS84)."""
    if member is None:
        return None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    found = EPSG_NAME.search(name) if isinstance(name, str) else None
    if found:
        return int(found.group(1))
    if isinstance(name, str) and CRS84.search(name):
        return 4326
    given = orjson.dumps(member).decode()[:80]
    raise whole_file("crs", f"the file's crs member {given} names no EPSG code; give --crs")


def load_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise whole_file("file", f"cannot be read: {exc.strerror}") from exc
    try:
        return orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as exc:
        raise whole_file("file", f"is not valid JSON: {exc}{encoding_hint(data)}") from exc


def encoding_hint(data: bytes) -> str:
    """GeoJSON is UTF-8 (RFC 7946); a file saved as GBK, as Chinese Windows tools do, is
    refused with the hint rather than guessed at."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return " (the file is not UTF-8, as GeoJSON must be: saved as GBK? save it as UTF-8)"
    return ""


def read_all(kind: Kind, features: list[Any], start: int = 0) -> tuple[list[Parsed], list[Problem]]:
    """Each feature read and checked on its own (feature `start` the first given); duplicate
    keys are found across the whole file by importer.keys."""
    readers = field_readers(kind)
    parsed: list[Parsed] = []
    problems: list[Problem] = []
    for index, feature in enumerate(features, start=start):
        parsed.append(Parsed(index))
        problems += read_feature(readers, parsed[-1], feature)
    return parsed, problems


def field_readers(kind: Kind) -> dict[str, Reader]:
    readers: dict[str, Reader] = {kind.key: kind.read_key, "name": required_text}
    if kind.parent:
        readers[kind.parent] = area_code
    readers |= {name: optional_text for name in kind.optional}
    return readers | {"geometry": geometry_reader(kind.read_geometry)}


def geometry_reader(read: GeometryReader) -> Reader:
    def read_geometry(value: Any) -> BaseGeometry:
        if value is None:
            raise ValueError("is missing")
        return read(value)

    return read_geometry


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
