"""Which column of an office's table (or field of a vector layer) holds which property: the
one table of the headers parkgrid recognises, in Chinese and English, and the checks that
every column is accounted for.

Why refuse rather than guess: a register's columns are typed by hand. Two columns that both
read as the name (名称 and 企业名称), a column nobody recognises that holds values (联系人,
or 信用代码 misspelt), a column without a header: each means the file says something parkgrid
would silently drop or pick arbitrarily. The refusal names the column and the option that
settles it (`--columns PROPERTY=HEADER`, or `--columns ignore=HEADER` to drop it on purpose).
A column with no values at all drops nothing and is passed over."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parkgrid.importer.kinds import Kind
from parkgrid.importer.options import ALL_OTHERS, IGNORE
from parkgrid.importer.outcomes import ImportRejected, Problem

SYNONYMS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc", "credit code"),
    "name": ("企业名称", "名称", "单位名称", "name"),
    "code": ("编码", "代码", "code"),
    "park": ("所属园区", "园区", "park"),
    "zone": ("所属片区", "片区", "zone"),
    "grid": ("所属网格", "网格", "grid"),
    "industry": ("行业", "所属行业", "行业类别", "industry"),
    "address": ("地址", "企业地址", "详细地址", "address"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "wkt": ("wkt", "geometry", "几何", "geom"),
}
"""Property → the headers that name it, compared after `normalised` (so 'Name', 'ＮＡＭＥ'
and '*名称' all match). Properties are those of the GeoJSON import; lon/lat/wkt are a table's
ways to give the shape (x and y: eastings and northings under a projected --crs)."""

COORDINATES = {"enterprises": ("lon", "lat", "wkt")}
"""How a table gives each kind's shape (a point: lon and lat or WKT; an area: WKT)."""
DERIVED = {"enterprises": ("grid",)}
"""Columns a kind accepts and does not store: an enterprise's grid follows from where it is
(PostGIS ST_Covers), so a register's 所属网格 column is not an error, nor is it believed."""

Namer = Callable[[int], str]
"""How the office names column i in a message about the header ("row 1 column 联系人",
"field 联系人")."""


def normalised(header: str) -> str:
    """Full-width forms folded (NFKC), case ignored, spaces and a required-field star gone."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(folded.split()).lstrip("*").rstrip(":")


MATCHES = {normalised(text): prop for prop, texts in SYNONYMS.items() for text in texts}


@dataclass(frozen=True)
class Layout:
    """Property → position of the column holding it."""

    positions: dict[str, int]

    def has(self, prop: str) -> bool:
        return prop in self.positions


def readable(kind: Kind, coordinates: bool) -> tuple[str, ...]:
    """The properties a file of `kind` may hold (`coordinates`: a table's own)."""
    props = (kind.key, "name", *((kind.parent,) if kind.parent else ()), *kind.optional)
    shape = COORDINATES.get(kind.name, ("wkt",)) if coordinates else ()
    return props + DERIVED.get(kind.name, ()) + shape


def layout(
    kind: Kind,
    headers: Sequence[str],
    explicit: Mapping[str, str],
    filled: Callable[[int], bool],
    namer: Namer,
    coordinates: bool,
) -> Layout:
    """Each property's column, or ImportRejected naming every column problem at once.
    `filled(i)`: whether column i holds any value below its header."""
    allowed = readable(kind, coordinates)
    problems = stray_options(kind, headers, explicit, allowed)
    chosen = {normalised(header): prop for header, prop in explicit.items()}
    found: dict[str, list[int]] = {}
    unknown: list[int] = []
    for position, header in enumerate(headers):
        prop = chosen.get(normalised(header)) if normalised(header) else None
        prop = prop or automatic(header, explicit, allowed)
        if prop is None and filled(position) and ALL_OTHERS not in ignored(explicit):
            unknown.append(position)
        elif prop is not None and prop != IGNORE:
            found.setdefault(prop, []).append(position)
    problems += doubled(headers, found, namer) + unknowns(kind, headers, unknown, namer)
    positions = {prop: places[0] for prop, places in found.items()}
    problems += missing(kind, positions, coordinates)
    if problems:
        raise ImportRejected(problems)
    return Layout(positions)


def ignored(explicit: Mapping[str, str]) -> set[str]:
    return {header for header, prop in explicit.items() if prop == IGNORE}


def automatic(header: str, explicit: Mapping[str, str], allowed: tuple[str, ...]) -> str | None:
    """The property a header's synonyms name, unless --columns gave that property another
    column (then this one is just another column) or the kind does not read it."""
    prop = MATCHES.get(normalised(header))
    if prop is None or prop not in allowed or prop in explicit.values():
        return None
    return prop


def stray_options(
    kind: Kind, headers: Sequence[str], explicit: Mapping[str, str], allowed: tuple[str, ...]
) -> list[Problem]:
    present = {normalised(header) for header in headers}
    problems = []
    for header, prop in explicit.items():
        if header != ALL_OTHERS and normalised(header) not in present:
            shown = ", ".join(h for h in headers if h.strip()) or "none"
            reason = f"names {header!r}, which is not a column of the file (it has: {shown})"
            problems.append(Problem(None, "columns", reason, where="--columns"))
        elif prop not in (*allowed, IGNORE):
            reason = f"{prop} is not read for {kind.name} (they take {', '.join(allowed)})"
            problems.append(Problem(None, "columns", reason, where="--columns"))
    return problems


def doubled(headers: Sequence[str], found: dict[str, list[int]], namer: Namer) -> list[Problem]:
    """Two columns with one header, or two headers read as one property: refused, since
    either could be the one meant."""
    problems = []
    seen: dict[str, int] = {}
    for position, header in enumerate(headers):
        text = normalised(header)
        if text and seen.setdefault(text, position) != position:
            reason = f"the same header as {namer(seen[text])}: rename one of them"
            problems.append(Problem(None, "columns", reason, where=namer(position)))
    for prop, places in found.items():
        names = {normalised(headers[p]) for p in places}
        if len(places) > 1 and len(names) == len(places):
            also = " and ".join(namer(p) for p in places[1:])
            reason = (
                f"is read as {prop}, and so is {also}: choose one with --columns"
                f" {prop}=HEADER and leave the other out with --columns ignore=HEADER"
            )
            problems.append(Problem(None, "columns", reason, where=namer(places[0])))
    return problems


def unknowns(kind: Kind, headers: Sequence[str], unknown: list[int], namer: Namer) -> list[Problem]:
    problems = []
    for position in unknown:
        header = headers[position].strip()
        if not header:
            reason = "has values but no header: give it one, or delete the column"
        else:
            reason = (
                f"holds values parkgrid does not read for {kind.name}: say what they are with"
                f" --columns PROPERTY={header}, or leave them out with --columns"
                f" ignore={header} (ignore=* leaves out every column not read)"
            )
        problems.append(Problem(None, "columns", reason, where=namer(position)))
    return problems


def missing(kind: Kind, positions: dict[str, int], coordinates: bool) -> list[Problem]:
    """The required columns absent: key, name, parent, and a table's shape."""
    required = [kind.key, "name", *((kind.parent,) if kind.parent else ())]
    required += shape_columns(kind, positions) if coordinates else []
    return [
        Problem(None, prop, f"no column holds it (looked for {', '.join(looked_for(kind, prop))});"
                f" name it with --columns {prop}=HEADER", where=f"column {prop}")
        for prop in required if prop not in positions
    ]  # fmt: skip


def shape_columns(kind: Kind, positions: dict[str, int]) -> list[str]:
    """WKT, or an enterprise's longitude and latitude (both, once either is there); a row
    may fill either when the table has both."""
    if "wkt" not in positions and ("lon" in positions or "lat" in positions):
        return ["lon", "lat"]
    return ["wkt"]


def looked_for(kind: Kind, prop: str) -> tuple[str, ...]:
    if prop == "wkt" and kind.name == "enterprises":
        return SYNONYMS["lon"][:1] + SYNONYMS["lat"][:1] + SYNONYMS["wkt"]
    return SYNONYMS[prop]


def text(value: Any) -> str | None:
    """A cell or field as text: blank → None; whole numbers without '.0' (an Excel code 12
    is stored as 12.0); a number too long for a double refused, since its digits are gone."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= 1e15:
            raise ValueError(
                f"is the number {value:.15g}, too long to be exact (spreadsheets keep 15"
                " digits): store the column as text"
            )
        return str(int(value))
    shown = str(value).strip()
    return shown or None


def present(value: Any) -> bool:
    """Whether a cell or field holds anything (blank text, NaN and None do not)."""
    if isinstance(value, float):
        return not math.isnan(value)
    return value is not None and not (isinstance(value, str) and not value.strip())


def header_text(value: Any) -> str:
    """A header cell as text (a number header without Excel's '.0')."""
    try:
        return text(value) or ""
    except ValueError:
        return str(value)


def number(value: Any) -> float | None:
    """A coordinate: a number, or text holding one (full-width digits folded)."""
    if value is None or isinstance(value, bool):
        return None if value is None else bad_number(value)
    if isinstance(value, int | float):
        found = float(value)
    else:
        shown = unicodedata.normalize("NFKC", str(value)).strip()
        if not shown:
            return None
        try:
            found = float(shown)
        except ValueError:
            return bad_number(value)
    if not math.isfinite(found):
        return bad_number(value)
    return found


def bad_number(value: Any) -> float:
    raise ValueError(f"is not a number ({str(value)[:40]!r})")
