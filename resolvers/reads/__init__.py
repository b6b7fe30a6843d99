"""Reads compiled to SQL: a GraphQL operation becomes a tree of `Selection`s (the typed
intermediate form), each field's SQL is defined once in a per-type table (`types_*`), and the
compiler assembles one statement whose JSON PostgreSQL builds. See `compiler.compile_request`."""
