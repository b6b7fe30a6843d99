"""Duplicate keys (codes, credit codes) across a whole file read a chunk at a time.

Why in the database: a key given twice is refused wherever the two rows are, so every key
read so far must be remembered until the file ends; a million credit codes in a Python dict
take more memory than everything else the import holds. A temporary table with the key as
its primary key holds them in the transaction's own storage, and each chunk asks it about its
own keys only."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from parkgrid.importer.kinds import Kind, Parsed
from parkgrid.importer.outcomes import Problem

KEYS = sa.Table(
    "parkgrid_import_keys", sa.MetaData(),
    sa.Column("key", sa.Text, primary_key=True), sa.Column("position", sa.Integer),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
SEEN = sa.text(
    "SELECT key, position FROM parkgrid_import_keys WHERE key = ANY(CAST(:keys AS text[]))"
)
REMEMBER = sa.text(
    "INSERT INTO parkgrid_import_keys (key, position)"
    " SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:positions AS int[]))"
)


class Keys:
    """The keys of the file read so far, each with the feature that first gave it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        KEYS.create(conn)

    def duplicates(self, kind: Kind, parsed: list[Parsed]) -> list[Problem]:
        """A problem for each feature giving a key an earlier one gave (in this chunk or
        before it); the chunk's new keys are remembered."""
        keyed = [(item.values[kind.key], item.index) for item in parsed
                 if item.values.get(kind.key) is not None]  # fmt: skip
        if not keyed:
            return []
        distinct = list(dict.fromkeys(key for key, _ in keyed))
        rows = self.conn.execute(SEEN, {"keys": distinct})
        first: dict[str, int] = {key: position for key, position in rows}
        new: dict[str, int] = {}
        problems = []
        for key, index in keyed:
            earlier = first.get(key, new.get(key))
            if earlier is None:
                new[key] = index
            else:
                reason = f"duplicate {key!r}, also given at features[{earlier}]"
                problems.append(Problem(index, kind.key, reason))
        if new:
            params = {"keys": list(new), "positions": list(new.values())}
            self.conn.execute(REMEMBER, params)
        return problems
