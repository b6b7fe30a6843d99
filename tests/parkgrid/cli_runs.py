"""Running the real `parkgrid` command line in a process of its own, and what a database holds
computed in plain SQL, to compare before and after a command."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from parkgrid.settings import PROJECT_ROOT
from tests.helpers import read_rows


def parkgrid(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`parkgrid ARGS` with DATABASE_URL set to `url`, as an operator would run it."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Refused or failed the way an operator wants: non-zero, one line, no traceback."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# every ordinary table of the public schema with the columns of its primary key (else the
# whole row), to order its rows by
PUBLIC_TABLES = """
SELECT format('public.%I', c.relname), coalesce((
    SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY k.n)
    FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = c.oid AND i.indisprimary), 't::text')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY 1
"""
OBJECTS = r"""
SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
ORDER BY 1, 2
"""
SEQUENCES = "SELECT format('public.%I', sequencename) FROM pg_sequences WHERE schemaname = 'public'"


BOOKKEEPING = {"api_token": "(to_jsonb(t) - 'last_used_at' - 'last_used_from')::text"}
"""Columns the service keeps about its own use (a token's last use, written in the background
at most once a minute), which no user change touches: left out of the checksums."""


def table_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row's text (geometry as its EWKB hex), ordered by primary
    key, for every table of the public schema, the alembic version included."""
    sums: dict[str, tuple[int, str]] = {}
    for table, key in read_rows(url, PUBLIC_TABLES):
        row = BOOKKEEPING.get(table, "t::text")
        query = (
            f"SELECT count(*), md5(coalesce(string_agg({row}, E'\\n' ORDER BY {key}), ''))"
            f" FROM {table} t"
        )
        count, digest = read_rows(url, query)[0]
        sums[table] = (int(count), str(digest))
    return sums


def fingerprint(url: str) -> dict[str, Any]:
    """What a database holds: its tables' checksums, every relation (views, indexes,
    sequences) of every schema, each sequence's position, and the extensions."""
    sequences = [row[0] for row in read_rows(url, SEQUENCES)]
    positions = {
        name: tuple(read_rows(url, f"SELECT last_value, is_called FROM {name}")[0])
        for name in sequences
    }
    return {
        "tables": table_checksums(url),
        "objects": [tuple(row) for row in read_rows(url, OBJECTS)],
        "sequences": positions,
        "extensions": [
            tuple(r)
            for r in read_rows(url, "SELECT extname, extversion FROM pg_extension ORDER BY 1")
        ],
    }


def table_counts(url: str) -> dict[str, int]:
    return {table: count for table, (count, _) in table_checksums(url).items()}
