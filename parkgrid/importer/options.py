"""How to read a park office's file, beyond what the file itself says: the options of
`parkgrid import` that choose a part of the file, name its columns or undo a web map's datum.

They travel together because every reader takes the same bundle, and a reader refuses an
option that means nothing for its format (a sheet in a Shapefile) rather than ignore it: an
option given by mistake usually means the wrong file was picked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and PRCoords load only for an import that shifts a datum
    from geo.datum import Datum

IGNORE = "ignore"
"""The pseudo-property of `--columns ignore=联系人`: a column left out on purpose."""

ALL_OTHERS = "*"
"""`--columns ignore=*`: every column not otherwise read is left out on purpose."""


@dataclass(frozen=True)
class ReadOptions:
    """`encoding`: of a CSV or of a Shapefile's attributes when no `.cpg` says (GBK, say);
    `layer`: of a GeoPackage, KML or a folder or zip of Shapefiles; `sheet`: of a workbook;
    `columns`: header (or field) → property, for names the synonyms do not know, with
    IGNORE for columns left out on purpose; `datum`: the web-map datum lon/lat were copied
    in (GCJ-02 from Amap or Tencent, BD-09 from Baidu), turned into WGS 84 on the way in."""

    encoding: str | None = None
    layer: str | None = None
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    datum: Datum | None = None

    def given(self) -> list[str]:
        """The options set, as the command line spells them (for refusing those a format
        cannot use)."""
        named = {"--encoding": self.encoding, "--layer": self.layer, "--sheet": self.sheet}
        return [flag for flag, value in named.items() if value is not None] + (
            ["--columns"] if self.columns else []
        )


def parse_columns(text: str, properties: tuple[str, ...]) -> dict[str, str]:
    """`uscc=信用代码,lon=X,ignore=联系人` as header → property. A property may be named once
    (two columns for one value is the ambiguity the option exists to settle), `ignore` many
    times; a header once."""
    mapping: dict[str, str] = {}
    for pair in (part.strip() for part in text.split(",")):
        prop, equals, header = (part.strip() for part in pair.partition("="))
        if not equals or not prop or not header:
            raise ValueError(f"{pair!r} is not PROPERTY=HEADER")
        prop = prop.lower()
        if prop not in (*properties, IGNORE):
            raise ValueError(f"{prop!r} is not one of {', '.join((*properties, IGNORE))}")
        if header == ALL_OTHERS and prop != IGNORE:
            raise ValueError(f"{ALL_OTHERS} goes only with {IGNORE} ({IGNORE}={ALL_OTHERS})")
        if header in mapping:
            raise ValueError(f"column {header!r} is named twice")
        if prop != IGNORE and prop in mapping.values():
            raise ValueError(f"{prop} is given two columns")
        mapping[header] = prop
    return mapping
