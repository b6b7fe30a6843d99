"""Tokens from the command line: printed once, stored as digests, expiring and revocable; a
bad token is UNAUTHENTICATED everywhere, never anonymous."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from tests.conftest import add_token, app_client
from web.cli import main

QUERY = "{ parks { totalCount } }"


def create(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["token", "create", *args, "--quiet"]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture
def url(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    return empty_url


def status_and_code(url: str, token: str | None) -> tuple[int, str | None]:
    with app_client(url, token=token) as client:
        response = client.post("/graphql", json={"query": QUERY})
    errors = response.json().get("errors") or [{}]
    return response.status_code, errors[0].get("extensions", {}).get("code")


def test_created_token_signs_in_and_is_stored_only_as_a_digest(
    url: str, capsys: pytest.CaptureFixture[str], engine_for
) -> None:
    secret = create(capsys, "--role", "viewer", "--label", "planning office")
    assert secret.startswith("pgt_") and len(secret) > 40
    assert status_and_code(url, secret) == (200, None)
    engine: Engine = engine_for(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT to_jsonb(t)::text FROM api_token t")).scalars().all()
    assert not any(secret in row for row in stored)
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "planning office" in listing and secret not in listing


def test_revoked_and_expired_tokens_are_refused(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    revoked = create(capsys, "--role", "admin")
    assert main(["token", "list"]) == 0
    token_id = capsys.readouterr().out.splitlines()[-1].split("\t")[0]
    assert main(["token", "revoke", token_id]) == 0
    assert status_and_code(url, revoked) == (401, "UNAUTHENTICATED")
    short = create(capsys, "--role", "admin", "--expires-in-days", "0.00001")
    time.sleep(1.2)
    assert status_and_code(url, short) == (401, "UNAUTHENTICATED")


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, str]]:
    """`token list` parsed: a header line, then one tab-separated row per token."""
    assert main(["token", "list"]) == 0
    header, *rows = (line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert header == [
        "id",
        "role",
        "cadre",
        "label",
        "created",
        "expires",
        "state",
        "last used",
        "last used from",
    ]
    assert all(len(row) == len(header) for row in rows)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


STATES = """
SELECT id::text, created_at, expires_at,
  CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
       WHEN expires_at <= now() THEN 'expired' ELSE 'active' END
FROM api_token
"""


def test_list_shows_created_expires_and_state(
    url: str, capsys: pytest.CaptureFixture[str], engine_for
) -> None:
    """Active, expired, revoked, and revoked after expiring (revoked wins): as the database
    has them, read back in plain SQL."""
    made = {}
    for label, args in {
        "active": ["--expires-in-days", "30"],
        "never": [],
        "expired": ["--expires-in-days", "30"],
        "revoked": [],
        "revoked-expired": ["--expires-in-days", "30"],
    }.items():
        create(capsys, "--role", "viewer", "--label", label, *args)
        made[label] = next(t["id"] for t in listed(capsys).values() if t["label"] == label)
    assert main(["token", "revoke", made["revoked"]]) == 0
    assert main(["token", "revoke", made["revoked-expired"]]) == 0
    capsys.readouterr()
    engine: Engine = engine_for(url)
    with engine.begin() as conn:
        past = text("UPDATE api_token SET expires_at = now() - interval '1 hour' WHERE id = :id")
        for label in ("expired", "revoked-expired"):
            conn.execute(past, {"id": int(made[label])})
    with engine.connect() as conn:
        truth = {row[0]: row for row in conn.execute(text(STATES))}
    shown = listed(capsys)
    assert set(shown) == set(truth)  # the fixture's admin token too
    for token_id, (_, created, expires, state) in truth.items():
        assert shown[token_id]["created"] == iso(created)
        assert shown[token_id]["expires"] == iso(expires)
        assert shown[token_id]["state"] == state
    states = {label: shown[token_id]["state"] for label, token_id in made.items()}
    assert states == {"active": "active", "never": "active", "expired": "expired",
                      "revoked": "revoked", "revoked-expired": "revoked"}  # fmt: skip


@pytest.mark.parametrize(
    "header", ["Bearer pgt_unknown", "Token abc", "Bearer ", "Basic dXNlcjpwYXNz"]
)
def test_bad_headers_never_fall_back_to_anonymous(empty_url: str, header: str) -> None:
    with app_client(empty_url, token=None) as client:
        response = client.post("/graphql", json={"query": QUERY}, headers={"Authorization": header})
        layer = client.get("/coverage/P/grids.geojson", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert layer.status_code == 401
    assert layer.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--role", "cadre"], "cadre"),
        (["--cadre", "999999"], "cadre"),
        ([], "role"),
    ],
)
def test_create_refuses_what_cannot_be(
    url: str, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    assert main(["token", "create", *args]) == 2
    assert capsys.readouterr().err.startswith(f"parkgrid: {field}:")


def test_revoking_an_unknown_token(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "revoke", "424242"]) == 2
    assert "no token has id 424242" in capsys.readouterr().err


LEAD_AND_ISSUE = """
SELECT a.cadre_id, i.id FROM assignment a JOIN enterprise e ON e.grid_id = a.grid_id
JOIN issue i ON i.enterprise_id = e.id
WHERE a.role = 'grid_lead' AND a.valid_to IS NULL AND i.description IS NOT NULL
ORDER BY i.id LIMIT 1
"""


@pytest.mark.parametrize(("role", "sees"), [("cadre", True), ("viewer", False), ("admin", True)])
def test_only_a_cadres_token_reaches_through_assignments(
    fresh_demo_url: str, engine_for, role: str, sees: bool
) -> None:
    """A viewer's token may name a cadre (for the record) but reads as a viewer."""
    with engine_for(fresh_demo_url).connect() as conn:
        lead, issue = conn.execute(text(LEAD_AND_ISSUE)).one()
    secret = f"pgt_{role}-naming-a-lead"
    add_token(fresh_demo_url, secret, role, cadre_id=lead)
    query = "query ($id: ID!) { issue(id: $id) { description } }"
    with app_client(fresh_demo_url, token=secret) as client:
        found = client.post("/graphql", json={"query": query, "variables": {"id": str(issue)}})
    description = found.json()["data"]["issue"]["description"]
    assert (description is not None) == sees
