"""`parkgrid import`: parks, zones, grids or enterprises from a park office's file (GeoJSON,
a vector file, a CSV or a workbook; `sources` tells which).

Every feature is checked; one bad feature rejects the whole file and the rejection lists
every problem found. Rows are upserted by code (areas) or USCC (enterprises) in one
transaction, committed only when the whole file is good; the database triggers then
recompute grid membership.

The file is gone through a chunk at a time (`batches.CHUNK_SIZE` features), each chunk
through the stages in order: `features` reads and checks each feature on its own (rings
closed, positions finite, at most kinds.MAX_POSITIONS of them) and `keys` finds keys given
twice anywhere in the file, `extent` checks every shape against the area of use of the CRS it
is declared in, `reproject` brings shapes given in another CRS to storage, `parents` finds
each area's parent and refuses shapes nowhere near it, `placement` refuses features outside
the parks unless allowed, `write` upserts and compares; `tally` keeps what spans the file,
`listing` the report's lists, and `pipeline` runs them."""

from __future__ import annotations

from parkgrid.importer.outcomes import ImportRejected, ImportReport, Problem
from parkgrid.importer.pipeline import import_file

__all__ = ["ImportRejected", "ImportReport", "Problem", "import_file"]
