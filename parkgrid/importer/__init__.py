"""`parkgrid import`: parks, zones, grids or enterprises from a GeoJSON FeatureCollection.

Every feature is checked before anything is written; one bad feature rejects the whole file
and the rejection lists every problem found. Rows are upserted by code (areas) or USCC
(enterprises) in one transaction; the database triggers then recompute grid membership.

The stages, in order: `features` reads and checks each feature on its own (rings closed,
positions finite, at most kinds.MAX_POSITIONS of them), `extent` checks every shape against
the area of use of the CRS it is declared in, `reproject` brings shapes given in another CRS to
storage, `parents` finds each area's parent and refuses shapes nowhere near it, `placement`
refuses features outside the parks unless allowed, `write` upserts and counts; `pipeline` runs
them."""

from __future__ import annotations

from parkgrid.importer.outcomes import ImportRejected, ImportReport, Problem
from parkgrid.importer.pipeline import import_file

__all__ = ["ImportRejected", "ImportReport", "Problem", "import_file"]
