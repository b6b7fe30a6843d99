"""`/coverage/{park}/{layer}.geojson`: every list of the report as a FeatureCollection that
agrees with GraphQL, valid RFC 7946 geometry, and clear errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from shapely.geometry import shape
from starlette.testclient import TestClient

from tests.conftest import app_client, graphql_client
from tests.resolvers.conftest import code
from tests.schema.coverage_park import add_records, build

# layer name: the GraphQL list it serves
LAYERS = {
    "grids": "grids { code }",
    "zones-without-lead": "zonesWithoutLead { code }",
    "grids-without-lead": "gridsWithoutLead { code }",
    "enterprises-without-liaison": "enterprisesWithoutLiaison { uscc }",
    "enterprises-outside-grids": "enterprisesOutsideGrids { uscc }",
    "enterprises-on-boundary": "enterprisesOnBoundary { uscc }",
    "overlaps": "overlaps { first second }",
    "gaps": "gaps { code }",
    "grids-outside-zone": "gridsOutsideZone { code }",
    "zones-outside-park": "zonesOutsidePark { code }",
    "not-visited": "notVisited { uscc }",
    "overdue-hazards": "overdueHazards { issueId }",
}


def key(item: dict[str, str]) -> str:
    if "first" in item:
        return f"{item['first']}|{item['second']}"
    return next(iter(item.values()))


@pytest.fixture
def client(empty_url: str) -> Iterator[TestClient]:
    add_records(empty_url, build(empty_url))
    with app_client(empty_url) as test_client:
        yield test_client


def graphql_lists(client: TestClient, zone: str | None) -> dict[str, list[str]]:
    fields = " ".join(LAYERS.values())
    query = f'query($zone: String) {{ coverage(park: "P", zone: $zone) {{ {fields} }} }}'
    found = graphql_client(client)(query, {"zone": zone})["data"]["coverage"]
    return {
        layer: [key(item) for item in found[selection.split()[0]]]
        for layer, selection in LAYERS.items()
    }


@pytest.mark.parametrize("zone", [None, "Z2"])
def test_every_layer_agrees_with_graphql(client: TestClient, zone: str | None) -> None:
    expected = graphql_lists(client, zone)
    for layer in LAYERS:
        response = client.get(f"/coverage/P/{layer}.geojson", params={"zone": zone or ""})
        assert response.status_code == 200, layer
        assert response.headers["content-type"] == "application/geo+json"
        body = response.json()
        assert body["type"] == "FeatureCollection"
        assert [str(f["id"]) for f in body["features"]] == expected[layer], layer
        for feature in body["features"]:
            assert feature["type"] == "Feature"
            assert shape(feature["geometry"]).is_valid, (layer, feature["id"])


def test_layers_carry_what_a_map_styles_by(client: TestClient) -> None:
    grids = client.get("/coverage/P/grids.geojson").json()["features"]
    g_c = next(f for f in grids if f["id"] == "G-C")
    assert g_c["geometry"]["type"] == "MultiPolygon"
    exterior = shape(g_c["geometry"]).geoms[0].exterior
    assert exterior.is_ccw  # RFC 7946: exterior rings counter-clockwise
    props = g_c["properties"]
    assert (props["enterprises"], props["visited"], props["visited_share"]) == (2, 2, 1.0)
    assert (props["with_policy_liaison"], props["policy_liaison_share"]) == (1, 0.5)
    [overlap] = client.get("/coverage/P/overlaps.geojson").json()["features"]
    assert (overlap["properties"]["first"], overlap["properties"]["second"]) == ("G-A", "G-B")
    assert overlap["properties"]["area_m2"] > 0
    boundary = client.get("/coverage/P/enterprises-on-boundary.geojson").json()["features"]
    assert boundary[0]["properties"]["covering_grids"] == ["G-C", "G-D"]
    hazards = client.get("/coverage/P/overdue-hazards.geojson").json()["features"]
    assert [h["properties"]["days_overdue"] for h in hazards] == [10, 3]
    assert hazards[0]["properties"]["uscc"] == code(6)


def test_thresholds_as_query_parameters(client: TestClient) -> None:
    wider = client.get("/coverage/P/not-visited.geojson", params={"serviceDays": 60}).json()
    assert [f["id"] for f in wider["features"]] == [code(3), code(6)]
    sliver = client.get("/coverage/P/gaps.geojson", params={"minGapSqM": 0}).json()
    assert [f["id"] for f in sliver["features"]] == ["Z1", "Z2"]


@pytest.mark.parametrize(
    ("path", "status", "code_", "field"),
    [
        ("/coverage/P/nope.geojson", 404, "NOT_FOUND", "layer"),
        ("/coverage/NOPE/gaps.geojson", 404, "NOT_FOUND", "park"),
        ("/coverage/P/gaps.geojson?zone=NOPE", 404, "NOT_FOUND", "zone"),
        ("/coverage/P/gaps.geojson?minGapSqM=big", 400, "BAD_USER_INPUT", "minGapSqM"),
        ("/coverage/P/gaps.geojson?minGapSqM=-1", 400, "BAD_USER_INPUT", "minGapSqM"),
        ("/coverage/P/gaps.geojson?serviceDays=0", 400, "BAD_USER_INPUT", "serviceDays"),
        ("/coverage/P/gaps.geojson?maxPerLiaison=1.5", 400, "BAD_USER_INPUT", "maxPerLiaison"),
    ],
)
def test_bad_requests_name_the_parameter(
    client: TestClient, path: str, status: int, code_: str, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code_, field)
    assert error["message"]
