"""Reads. The read compiler: a GraphQL operation becomes a tree of `Selection`s (the typed
intermediate form), each field's SQL is defined once in a per-type table (`types_*`, `roots`)
and the compiler assembles one statement whose JSON PostgreSQL builds (`request`). Beside it
the reports the compiler does not take whole (statistics, coverage, proposals) and the SQL
of areas, enterprises and cadres they share with it."""
