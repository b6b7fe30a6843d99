"""Relay connections: cursors walk every node once, page sizes are capped with a clear error."""

from __future__ import annotations

from sqlalchemy import text

PAGE = """query ($after: String) { park(code: "430624101") {
  enterprises(first: 40, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { uscc } } } } }"""


def test_cursors_walk_every_enterprise_exactly_once(gql, demo_url, engine_for) -> None:
    seen, after, pages = [], None, 0
    while True:
        connection = gql(PAGE, {"after": after})["data"]["park"]["enterprises"]
        seen += [edge["node"]["uscc"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    with engine_for(demo_url).connect() as conn:
        expected = conn.execute(text("SELECT uscc FROM enterprise ORDER BY uscc")).scalars().all()
    assert seen == expected
    assert pages == 6  # 216 enterprises, 40 a page


def test_page_size_above_the_cap_is_refused(gql) -> None:
    body = gql('{ park(code: "430624101") { enterprises(first: 501) { totalCount } } }', ok=False)
    assert body["errors"][0]["extensions"] == {"code": "PAGE_SIZE_EXCEEDED", "field": "first"}
    assert "500" in body["errors"][0]["message"]


def test_negative_page_size_is_refused(gql) -> None:
    body = gql("{ parks(first: -1) { totalCount } }", ok=False)
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"


def test_a_forged_cursor_is_refused(gql) -> None:
    body = gql('{ parks(after: "not-a-cursor") { totalCount } }', ok=False)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}


def test_empty_page_still_counts(gql) -> None:
    data = gql(
        '{ park(code: "430624101") { enterprises(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage } } } }'
    )
    connection = data["data"]["park"]["enterprises"]
    assert (
        connection["totalCount"],
        connection["edges"],
        connection["pageInfo"]["hasNextPage"],
    ) == (216, [], True)
