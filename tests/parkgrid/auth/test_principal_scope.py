"""The caller's scope as a compiled read sets it (SIGN_IN_TO_READ, the settings only) against
the principal the full sign-in reads and against plain SQL over the assignments valid now:
every kind of token, good and refused. And the list of scoped views that decides whether a
statement needs the scope at all is the database's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from parkgrid import prepared
from parkgrid.auth.principal import (
    SCOPED_VIEWS,
    SIGN_IN_TO_READ,
    authenticate,
    scope_needed,
    sign_in_params,
)
from parkgrid.auth.tokens import digest
from parkgrid.db import SCOPED_PATH
from tests.parkgrid.conftest import rolled_back

NAMES = ("principal", "cadre_id", "actor_id", "token_id", "read_grids", "refusal")
CADRE_ROLES = ("zone_lead", "grid_lead", "liaison")
# the grids a cadre reaches now, written apart from the service's SQL
REACHED = """
    SELECT g.id FROM public.grid g JOIN public.assignment a ON a.zone_id = g.zone_id
    WHERE a.cadre_id = :cadre AND a.role = 'zone_lead' AND a.valid_from <= now()
      AND (a.valid_to IS NULL OR a.valid_to > now())
    UNION SELECT a.grid_id FROM public.assignment a
    WHERE a.cadre_id = :cadre AND a.role = 'grid_lead' AND a.valid_from <= now()
      AND (a.valid_to IS NULL OR a.valid_to > now())
    UNION SELECT e.grid_id FROM public.enterprise e JOIN public.assignment a ON a.enterprise_id = e.id
    WHERE a.cadre_id = :cadre AND a.role = 'liaison' AND e.grid_id IS NOT NULL
      AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"""


@pytest.fixture(scope="module")
def engine(databases: Any, demo_template: str) -> Iterator[Engine]:
    engine = create_engine(
        databases.url(databases.create(template=demo_template)),
        connect_args={"options": f"-c search_path={SCOPED_PATH}"},
    )
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    yield from rolled_back(engine)


def token(conn: Connection, role: str, cadre: int | None, **times: str) -> str:
    secret = f"pgt_scope-{role}-{cadre}-{'-'.join(times)}"
    columns = ", ".join(["token_hash", "role", "cadre_id", "label", *times])
    values = ", ".join([":d", ":r", ":c", "'scope test'", *times.values()])
    conn.execute(
        text(f"INSERT INTO public.api_token ({columns}) VALUES ({values})"),
        {"d": digest(secret), "r": role, "c": cadre},
    )
    return f"Bearer {secret}"


def lean_settings(conn: Connection, header: str) -> dict[str, str | None]:
    """The settings SIGN_IN_TO_READ leaves in the transaction, as the views read them."""
    prepared.execute(conn, SIGN_IN_TO_READ, sign_in_params(header, datetime.now(UTC))).all()
    columns = ", ".join(f"current_setting('parkgrid.{n}', true)" for n in NAMES)
    found = conn.execute(text(f"SELECT {columns}")).one()
    return dict(zip(NAMES, found, strict=True))


def grids(setting: str | None) -> set[int]:
    assert setting is not None and setting.startswith("{") and setting.endswith("}")
    return {int(g) for g in setting[1:-1].split(",") if g}


def cadres_by_role(conn: Connection) -> dict[str, int]:
    """A cadre holding each role now (a zone lead also reaches the zone's grids)."""
    found = {}
    for role in CADRE_ROLES:
        found[role] = conn.execute(
            text(
                "SELECT cadre_id FROM public.assignment WHERE role = :r AND valid_to IS NULL"
                " ORDER BY cadre_id LIMIT 1"
            ),
            {"r": role},
        ).scalar_one()
    return found


def test_the_scoped_views_are_the_databases(conn: Connection) -> None:
    found = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'parkgrid_scoped' AND c.relkind IN ('v', 'r', 'm', 'f', 'p')"
        )
    ).scalars()
    assert set(found) == set(SCOPED_VIEWS)


@pytest.mark.parametrize("role", CADRE_ROLES)
def test_a_cadres_scope_is_the_grids_their_assignments_reach(conn: Connection, role: str) -> None:
    cadre = cadres_by_role(conn)[role]
    header = token(conn, "cadre", cadre)
    expected = set(conn.execute(text(REACHED), {"cadre": cadre}).scalars())
    assert expected, "the demo gives every role a holder with grids"
    settings = lean_settings(conn, header)
    assert grids(settings["read_grids"]) == expected
    assert settings["principal"] == "cadre" and settings["refusal"] == ""
    assert settings["cadre_id"] == settings["actor_id"] == str(cadre)
    full = authenticate(conn, header, datetime.now(UTC)).settings()
    assert {f"parkgrid.{n}": settings[n] for n in NAMES if n != "refusal"} == full


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_other_tokens_reach_no_grids_even_naming_a_cadre(conn: Connection, role: str) -> None:
    cadre = cadres_by_role(conn)["zone_lead"]
    settings = lean_settings(conn, token(conn, role, cadre))
    assert settings["principal"] == role and settings["read_grids"] == "{}"
    assert settings["token_id"] and settings["refusal"] == ""


@pytest.mark.parametrize(
    ("times", "refusal"),
    [
        ({"revoked_at": "now() - interval '1 second'"}, "the token was revoked"),
        ({"expires_at": "now() - interval '1 second'"}, "the token has expired"),
    ],
)
def test_a_refused_token_sets_its_refusal_and_no_scope(
    conn: Connection, times: dict[str, str], refusal: str
) -> None:
    cadre = cadres_by_role(conn)["zone_lead"]
    settings = lean_settings(conn, token(conn, "cadre", cadre, **times))
    assert settings["refusal"] == refusal
    assert all(settings[n] == "" for n in ("principal", "cadre_id", "token_id", "read_grids"))


def test_an_unknown_token_sets_nothing(conn: Connection) -> None:
    settings = lean_settings(conn, "Bearer pgt_no-such-token")
    assert all(not settings[n] for n in NAMES)


def test_an_assignment_ended_a_moment_ago_reaches_nothing(conn: Connection) -> None:
    """Scope is read at each request: no cached grants outlive the assignment."""
    cadre = cadres_by_role(conn)["grid_lead"]
    header = token(conn, "cadre", cadre)
    assert grids(lean_settings(conn, header)["read_grids"])
    ended = datetime.now(UTC) - timedelta(seconds=1)
    conn.execute(
        text(
            "UPDATE public.assignment SET valid_to = :t"
            " WHERE cadre_id = :c AND valid_to IS NULL AND valid_from < :t"
        ),
        {"t": ended, "c": cadre},
    )
    assert grids(lean_settings(conn, header)["read_grids"]) == set()


@pytest.mark.parametrize("view", SCOPED_VIEWS)
def test_every_scoped_view_named_needs_the_scope(view: str) -> None:
    assert scope_needed(f"SELECT x.id FROM {view} x")
    assert not scope_needed(f"SELECT 'not_{view}_at_all'::text, x.{view}_count FROM grid x")
