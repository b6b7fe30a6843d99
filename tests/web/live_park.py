"""The park, server and GraphQL helpers of the subscription tests: a demo database of the
module's own with a grid lead's token, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.conftest import ADMIN_TOKEN, Databases, add_token
from tests.web.browser import served

CADRE_TOKEN = "pgt_live-cadre"


@dataclass(frozen=True)
class Park:
    url: str
    engine: Engine
    grid: str  # the cadre's grid (as its lead)
    inside: int  # an issue in that grid
    outside: int  # an issue elsewhere
    uscc: str  # an enterprise in that grid

    def scalar(self, query: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(text(query), params).scalar()

    def head(self) -> int:
        return int(self.scalar("SELECT max(id) FROM event"))

    def events_after(self, start: int, subject: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id FROM event WHERE id > :start AND subject = :s ORDER BY id"),
                {"start": start, "s": subject},
            )
            return [str(row.id) for row in rows]


@pytest.fixture(scope="module")
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    url = databases.url(databases.create(template=demo_template))
    engine = create_engine(url)
    with engine.begin() as conn:
        lead = conn.execute(
            text(
                "SELECT a.cadre_id, g.id, g.code FROM assignment a JOIN grid g ON g.id = a.grid_id"
                " WHERE a.role = 'grid_lead' AND a.valid_to IS NULL ORDER BY g.code LIMIT 1"
            )
        ).one()
        issue_in = "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE "
        inside = conn.execute(
            text(issue_in + "e.grid_id = :g ORDER BY i.id LIMIT 1"), {"g": lead[1]}
        )
        outside = conn.execute(
            text(issue_in + "e.grid_id <> :g ORDER BY i.id LIMIT 1"), {"g": lead[1]}
        )
        uscc = conn.execute(
            text("SELECT uscc FROM enterprise WHERE grid_id = :g ORDER BY uscc LIMIT 1"),
            {"g": lead[1]},
        )
        found = Park(
            url, engine, lead.code, inside.scalar_one(), outside.scalar_one(), uscc.scalar_one()
        )
    add_token(url, CADRE_TOKEN, "cadre", lead.cadre_id)
    yield found
    engine.dispose()


@pytest.fixture(scope="module")
def base(park: Park) -> Iterator[str]:
    with served(park.url) as url:
        yield url


def graphql(base: str, query: str, token: str | None = ADMIN_TOKEN, **variables: Any) -> Any:
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}/graphql", body, headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def comment(base: str, issue: int, note: str) -> None:
    done = graphql(
        base, 'mutation($id: ID!, $note: String!) { commentIssue(id: $id, note: $note) {'
        " __typename } }", id=str(issue), note=note,
    )  # fmt: skip
    assert done["commentIssue"]["__typename"] == "IssuePayload"


def sql_change(park: Park, issue: int, note: str, commit: bool) -> None:
    """An operator's change in plain SQL: the row and its event in one transaction."""
    with park.engine.connect() as conn:
        conn.execute(
            text("UPDATE issue SET responsible_unit = :n WHERE id = :i"), {"n": note, "i": issue}
        )
        conn.execute(
            text(
                "INSERT INTO event (subject, subject_id, enterprise_id, action, note)"
                " SELECT 'issue', id, enterprise_id, 'assigned', :n FROM issue WHERE id = :i"
            ),
            {"n": note, "i": issue},
        )
        (conn.commit if commit else conn.rollback)()
