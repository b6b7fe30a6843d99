"""Exports: the ledger, the statistics, the register and the coverage report as files an
office or a GIS opens (XLSX, GeoPackage, Shapefile, GeoJSON, KML, CSV).

Each export is two steps, so a request never holds a database connection while a file is
written: `collect` reads what the caller may see (through the scoped views, with the same SQL
the API answers with), `write` turns it into a file in a worker thread. `web/routes/exports.py`
serves them over HTTP and `parkgrid export` writes them from the command line."""

from __future__ import annotations

from resolvers.exports.base import Export, Language

__all__ = ["Export", "Language"]
