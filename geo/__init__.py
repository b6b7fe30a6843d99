"""Geometry: SRIDs, Shapely <-> database conversion, validation and spatial SQL helpers."""
