"""Input errors of compiled reads keep their codes and fields, and are the executor's own:
a bad cursor or one of another ordering, a page above the cap, a bbox of three numbers,
DISTANCE without `near`, an unknown parent. No data comes with them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.resolvers.reads.oracle import Api, api

ZONE_PAGE = """query ($order: EnterpriseOrder!) {
  enterprises(filter: {zone: "430624101001"}, orderBy: $order, first: 1) {
    pageInfo { endCursor } } }"""


@pytest.fixture(scope="module")
def fast(demo_url: str) -> Iterator[Api]:
    with api(demo_url) as client:
        yield client


@pytest.fixture(scope="module")
def executed(demo_url: str) -> Iterator[Api]:
    with api(demo_url, fast_path=False) as client:
        yield client


def cursor_of(fast: Api, order: str) -> str:
    data = fast.data(ZONE_PAGE, {"order": order})
    return str(data["enterprises"]["pageInfo"]["endCursor"])


NEAR = "{near: {lon: 112.9, lat: 28.7, meters: 900}}"
ERRORS: list[tuple[str, str, str]] = [
    ('{ enterprises(first: 2, after: "not-a-cursor!") { totalCount } }', "INVALID_CURSOR", "after"),
    (
        '{ grid(code: "430624101001001") { enterprises(after: "W10=") { totalCount } } }',
        "INVALID_CURSOR",
        "after",
    ),
    ("{ enterprises(orderBy: NAME, after: $CODE) { totalCount } }", "INVALID_CURSOR", "after"),
    ("{ enterprises(after: $NAME) { totalCount } }", "INVALID_CURSOR", "after"),
    ('{ issues(after: "WyJ4Il0=") { totalCount } }', "INVALID_CURSOR", "after"),
    ("{ enterprises(first: 501) { totalCount } }", "PAGE_SIZE_EXCEEDED", "first"),
    (
        '{ zone(code: "430624101001") { grids(first: 100) { nodes { enterprises(first: 501) { totalCount } } } } }',
        "PAGE_SIZE_EXCEEDED",
        "first",
    ),
    (
        "{ enterprises(filter: {bbox: [112.86, 28.67, 112.9]}) { totalCount } }",
        "BAD_USER_INPUT",
        "filter.bbox",
    ),
    ("{ enterprises(orderBy: DISTANCE) { totalCount } }", "BAD_USER_INPUT", "orderBy"),
    (
        '{ grid(code: "430624101001001") { enterprises(orderBy: DISTANCE) { totalCount } } }',
        "BAD_USER_INPUT",
        "orderBy",
    ),
    ('{ grids(zone: "nope") { totalCount } }', "NOT_FOUND", "zone"),
    ('{ zones(park: "nope") { nodes { code } } }', "NOT_FOUND", "park"),
]


def with_cursors(fast: Api, query: str) -> str:
    for order in ("CODE", "NAME"):
        query = query.replace(f"${order}", f'"{cursor_of(fast, order)}"')
    return query


@pytest.mark.parametrize(("query", "code", "field"), ERRORS)
def test_errors_keep_their_codes(fast, executed, query, code, field) -> None:
    query = with_cursors(fast, query)
    status, body = fast.post(query)
    assert status == 200 and all(v is None for v in (body["data"] or {}).values())
    assert [e["extensions"] for e in body["errors"]] == [{"code": code, "field": field}]
    assert field.split(".")[0] in body["errors"][0]["message"]
    assert executed.post(query) == (status, body)  # the executor's own error


@pytest.mark.parametrize("order", ["NAME", "DISTANCE"])
def test_a_cursor_of_another_ordering_of_the_same_length_is_invalid(fast, order) -> None:
    other = "DISTANCE" if order == "NAME" else "NAME"
    first = fast.data(
        f"{{ enterprises(filter: {NEAR}, orderBy: {other}, first: 1) {{ pageInfo {{ endCursor }} }} }}"
    )
    after = first["enterprises"]["pageInfo"]["endCursor"]
    query = (
        f'{{ enterprises(filter: {NEAR}, orderBy: {order}, after: "{after}") {{ totalCount }} }}'
    )
    _, body = fast.post(query)
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "INVALID_CURSOR", "field": "after"}
    ]
