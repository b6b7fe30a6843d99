"""`importFile` over HTTP with real multipart bodies (the GraphQL multipart request spec), on
real PostGIS: what a dry run reports is what the import then does and what SQL then finds;
only administrators import; the edge refuses what the spec does not allow with a clear 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings
from tests.conftest import add_token, app_client
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import table_checksums
from tests.parkgrid.test_importer import (
    MID_Y,
    PARK_EAST,
    enterprises,
    grids,
    parks,
    usc,
    with_wrong_check_character,
    zones,
)

LISTS = "{ total items { index location key name within } }"
REPORT = f"""
report {{
  kind dryRun written outsideParks
  inserted {LISTS} unchanged {LISTS}
  updated {{ total items {{ row {{ key name }} changes {{ field before after }} }} }}
  gridChanges {{ total items {{ uscc name before after }} }}
  rejected {{ total items {{ index location field reason }} }}
}}"""
IMPORT = f"""
mutation Import($kind: ImportKind!, $file: Upload!, $options: ImportOptions, $dryRun: Boolean) {{
  importFile(kind: $kind, file: $file, options: $options, dryRun: $dryRun) {{
    __typename
    ... on ImportPayload {{ {REPORT} }}
    ... on ImportRejectedError {{ field code message {REPORT} }}
    ... on UserError {{ field code message }}
  }}
}}"""


def collection(features: list[Any]) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def upload(
    client: TestClient, kind: str, content: bytes, dry_run: bool = False,
    options: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
) -> Any:  # fmt: skip
    """POST the file as the spec has it: operations, map, then the file part."""
    variables = {"kind": kind, "file": None, "dryRun": dry_run, "options": options}
    data = {
        "operations": orjson.dumps({"query": IMPORT, "variables": variables}).decode(),
        "map": orjson.dumps({"0": ["variables.file"]}).decode(),
    }
    files = {"0": (f"{kind.lower()}.geojson", content, "application/geo+json")}
    return client.post("/graphql", data=data, files=files, headers=headers or {})


def imported(client: TestClient, kind: str, features: list[Any], **extra: Any) -> dict[str, Any]:
    response = upload(client, kind, collection(features), **extra)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importFile"]
    return result


@pytest.fixture
def client(empty_url: str) -> Iterator[TestClient]:
    with app_client(empty_url) as client:
        yield client


@pytest.fixture
def park(client: TestClient) -> TestClient:
    """The test's hand-made park (tests.parkgrid.test_importer) imported over HTTP."""
    for kind, features in (("PARKS", parks()), ("ZONES", zones()), ("GRIDS", grids()),
                           ("ENTERPRISES", enterprises())):  # fmt: skip
        assert imported(client, kind, features)["__typename"] == "ImportPayload"
    return client


def test_an_admin_uploads_a_file_and_it_is_imported(client: TestClient, empty_url: str) -> None:
    result = imported(client, "PARKS", parks())
    report = result["report"]
    assert (report["kind"], report["dryRun"], report["written"]) == ("PARKS", False, True)
    assert report["inserted"] == {
        "total": 1,
        "items": [{"index": 0, "location": "features[0]", "key": "P", "name": "Park",
                   "within": None}],
    }  # fmt: skip
    assert read_rows(empty_url, "SELECT code, name FROM park") == [("P", "Park")]


def admin_token_id(url: str) -> int:
    return int(read_rows(url, "SELECT min(id) FROM api_token WHERE role = 'admin'")[0][0])


def test_a_dry_run_over_http_changes_nothing_and_matches_the_import(
    park: TestClient, empty_url: str
) -> None:
    moved = enterprises(moved={1: 112.915})
    moved[1]["properties"]["name"] = "Renamed"
    moved.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.912, MID_Y]},
                  "properties": {"uscc": usc(5), "name": "Enterprise 5"}})  # fmt: skip
    before = table_checksums(empty_url)
    dry = imported(park, "ENTERPRISES", moved, dry_run=True)["report"]
    assert table_checksums(empty_url) == before
    real = imported(park, "ENTERPRISES", moved)["report"]
    assert (dry["dryRun"], dry["written"], real["dryRun"], real["written"]) == (
        True, False, False, True
    )  # fmt: skip
    for part in ("inserted", "updated", "unchanged", "gridChanges", "rejected"):
        assert dry[part] == real[part], part
    assert real["inserted"]["items"][0]["key"] == usc(5)
    assert {i["row"]["key"] for i in real["updated"]["items"]} == {usc(1), usc(2)}
    events = read_rows(
        empty_url,
        "SELECT e.uscc, v.changes -> 'grid' ->> 0, v.changes -> 'grid' ->> 1, v.token_id"
        " FROM event v JOIN enterprise e ON e.id = v.enterprise_id"
        " WHERE v.action = 'grid_changed'",
    )
    assert [(i["uscc"], i["before"], i["after"]) for i in real["gridChanges"]["items"]] == [
        row[:3] for row in events
    ] == [(usc(1), "G-2", "G-1")]  # fmt: skip
    assert events[0][3] == admin_token_id(empty_url)  # the log names the uploader's token


def test_a_refused_file_is_a_typed_error_listing_every_rejected_row(
    park: TestClient, empty_url: str
) -> None:
    bad = enterprises()
    bad[1]["properties"]["uscc"] = with_wrong_check_character(usc(2))
    bad[3]["geometry"]["coordinates"] = [PARK_EAST + 0.01, MID_Y]
    before = table_checksums(empty_url)
    for dry_run in (True, False):
        result = imported(park, "ENTERPRISES", bad, dry_run=dry_run)
        assert (result["__typename"], result["code"], result["field"]) == (
            "ImportRejectedError", "BAD_USER_INPUT", "file"
        )  # fmt: skip
        rejected = result["report"]["rejected"]
        assert rejected["total"] == 3
        assert [(i["location"], i["field"]) for i in rejected["items"]] == [
            ("parks", "parks"), ("features[1] uscc", "uscc"), ("features[3] geometry", "geometry")
        ]  # fmt: skip
        assert result["report"]["written"] is False
    assert table_checksums(empty_url) == before


def test_lists_are_cut_to_the_page_size_with_their_total(empty_url: str) -> None:
    with app_client(empty_url, api=ApiSettings(max_page_size=2)) as client:
        for kind, features in (("PARKS", parks()), ("ZONES", zones()), ("GRIDS", grids())):
            imported(client, kind, features)
        report = imported(client, "ENTERPRISES", enterprises(), dry_run=True)["report"]
    assert report["inserted"]["total"] == 4
    assert [i["key"] for i in report["inserted"]["items"]] == [usc(1), usc(2)]


@pytest.fixture(scope="module")
def tokens(demo_url: str) -> dict[str, str]:
    """A viewer's and a zone lead's token on the shared demo database."""
    cadre = read_rows(demo_url, "SELECT cadre_id FROM assignment WHERE role = 'zone_lead'"
                                " AND valid_to IS NULL LIMIT 1")[0][0]  # fmt: skip
    add_token(demo_url, "pgt_import-viewer", "viewer")
    add_token(demo_url, "pgt_import-zone-lead", "cadre", int(cadre))
    return {"viewer": "pgt_import-viewer", "zone lead": "pgt_import-zone-lead"}


@pytest.mark.parametrize("who", ["anonymous", "viewer", "zone lead"])
def test_only_administrators_import(demo_url: str, tokens: dict[str, str], who: str) -> None:
    token = tokens.get(who)
    before = table_checksums(demo_url)
    with app_client(demo_url, token=token) as client:
        headers = {} if token else {"GraphQL-Preflight": "1"}
        result = imported(client, "PARKS", parks(), headers=headers)
    assert (result["__typename"], result["code"]) == ("ForbiddenError", "FORBIDDEN")
    assert table_checksums(demo_url) == before


def envelope(boundary: str, parts: list[tuple[str, str | None, bytes]]) -> bytes:
    """A multipart/form-data body written by hand: (name, filename or None, content)."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def spec_parts(content: bytes, query: str = IMPORT, mapping: Any = None) -> list[Any]:
    operations = {"query": query, "variables": {"kind": "PARKS", "file": None}}
    chosen = {"0": ["variables.file"]} if mapping is None else mapping
    return [("operations", None, orjson.dumps(operations)),
            ("map", None, orjson.dumps(chosen)), ("0", "parks.geojson", content)]  # fmt: skip


def sent(
    client: TestClient, body: bytes, streamed: bool = False, headers: dict[str, str] | None = None
) -> Any:
    kind = {"content-type": "multipart/form-data; boundary=XyZ", **(headers or {})}
    content: Any = iter([body[: len(body) // 2], body[len(body) // 2 :]]) if streamed else body
    return client.post("/graphql", content=content, headers=kind)


def refusal(response: Any) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_an_upload_over_the_limit_is_a_413(empty_url: str, streamed: bool) -> None:
    body = envelope("XyZ", spec_parts(collection(parks()) + b" " * 5000))
    with app_client(empty_url, api=ApiSettings(max_upload_bytes=4000)) as client:
        status, code, message = refusal(sent(client, body, streamed))
    assert (status, code) == (413, "PAYLOAD_TOO_LARGE")
    assert "PARKGRID_API_MAX_UPLOAD_BYTES" in message
    assert read_rows(empty_url, "SELECT count(*) FROM park") == [(0,)]


def test_the_upload_limit_is_not_the_json_body_limit(empty_url: str) -> None:
    big = collection(parks()) + b" " * 5000
    with app_client(empty_url, api=ApiSettings(max_body_bytes=4000)) as client:
        assert sent(client, envelope("XyZ", spec_parts(big))).status_code == 200
    assert read_rows(empty_url, "SELECT count(*) FROM park") == [(1,)]


@pytest.mark.parametrize(
    ("parts", "words"),
    [
        pytest.param(spec_parts(b"{}", query="{ parks { totalCount } }"),
                     "multipart request carries a mutation", id="query-in-multipart"),
        pytest.param(spec_parts(b"{}")[::2], "needs a `map` field", id="no-map"),
        pytest.param(spec_parts(b"{}")[1:], "needs a `operations` field", id="no-operations"),
        pytest.param(spec_parts(b"{}", mapping={"1": ["variables.file"]}),
                     "names the file part '1', which the request does not hold",
                     id="map-names-a-missing-file"),
        pytest.param(spec_parts(b"{}", mapping={}), "names no variable for the file part '0'",
                     id="file-not-in-map"),
        pytest.param(spec_parts(b"{}", mapping={"0": ["variables.kind"]}),
                     "'variables.kind' names no null placeholder", id="map-to-a-set-variable"),
        pytest.param(spec_parts(b"{}", mapping={"0": ["query"]}), "'query' names no null",
                     id="map-outside-variables"),
        pytest.param(spec_parts(b"{}", mapping=["variables.file"]), "map: must be a JSON object",
                     id="map-not-an-object"),
        pytest.param([("operations", None, b"[{}]"), *spec_parts(b"{}")[1:]],
                     "must be a JSON object", id="batched-operations"),
    ],
)  # fmt: skip
def test_a_multipart_request_the_spec_does_not_allow_is_a_clear_400(
    park: TestClient, empty_url: str, parts: list[Any], words: str
) -> None:
    before = table_checksums(empty_url)
    status, code, message = refusal(sent(park, envelope("XyZ", parts)))
    assert (status, code) == (400, "BAD_REQUEST")
    assert words in message
    assert table_checksums(empty_url) == before


def test_a_body_that_is_no_multipart_is_a_400(client: TestClient) -> None:
    status, code, message = refusal(sent(client, b'{"query": "{ parks { totalCount } }"}'))
    assert (status, code) == (400, "BAD_REQUEST")
    assert "needs a `operations` field" in message or "cannot be read" in message


def test_without_a_header_a_form_cannot_send_multipart_is_refused(empty_url: str) -> None:
    body = envelope("XyZ", spec_parts(collection(parks())))
    with app_client(empty_url, token=None) as client:
        status, code, message = refusal(sent(client, body))
        assert (status, code) == (400, "BAD_REQUEST")
        assert "GraphQL-Preflight" in message and "Authorization" in message
        with_header = sent(client, body, headers={"GraphQL-Preflight": "1"}).json()
    assert with_header["data"]["importFile"]["code"] == "FORBIDDEN"


def test_a_bad_token_is_refused_before_the_upload_is_read(empty_url: str) -> None:
    with app_client(empty_url, token="pgt_nobody") as client:
        status, code, _ = refusal(sent(client, envelope("XyZ", spec_parts(b"{}"))))
    assert (status, code) == (401, "UNAUTHENTICATED")


def test_a_file_sent_as_a_json_value_is_refused_on_file(client: TestClient) -> None:
    variables = {"kind": "PARKS", "file": "parks.geojson"}
    body = client.post("/graphql", json={"query": IMPORT, "variables": variables}).json()
    result = body["data"]["importFile"]
    assert (result["__typename"], result["code"], result["field"]) == (
        "InvalidInputError", "BAD_USER_INPUT", "file"
    )  # fmt: skip
    assert "multipart" in result["message"]


def test_options_reach_the_importer(park: TestClient, empty_url: str, tmp_path: Path) -> None:
    outside = enterprises(moved={4: PARK_EAST + 0.01})
    refused = imported(park, "ENTERPRISES", outside)
    assert refused["__typename"] == "ImportRejectedError"
    allowed = imported(park, "ENTERPRISES", outside, options={"allowOutside": True})
    assert allowed["report"]["outsideParks"] == 1
    wrong_crs = imported(park, "PARKS", parks(), options={"crs": "EPSG:4547"})
    assert wrong_crs["__typename"] == "ImportRejectedError"
    assert "EPSG:4547" in wrong_crs["report"]["rejected"]["items"][0]["reason"]
    bad_columns = imported(park, "PARKS", parks(), options={"columns": "nonsense"})
    assert (bad_columns["__typename"], bad_columns["field"]) == ("InvalidInputError",
                                                                 "options.columns")  # fmt: skip


def test_a_table_keeps_its_name_so_its_rows_are_named_as_the_office_sees_them(
    park: TestClient, empty_url: str
) -> None:
    table = (
        "统一社会信用代码,企业名称,经度,纬度\n"
        f"{usc(5)},新企业,112.912,{MID_Y}\n"
        f"{with_wrong_check_character(usc(6))},坏代码,112.912,{MID_Y}\n"
    ).encode()
    variables = {"kind": "ENTERPRISES", "file": None, "dryRun": True}
    data = {
        "operations": orjson.dumps({"query": IMPORT, "variables": variables}).decode(),
        "map": orjson.dumps({"0": ["variables.file"]}).decode(),
    }
    files = {"0": ("企业名录.csv", table, "text/csv")}
    result = park.post("/graphql", data=data, files=files).json()["data"]["importFile"]
    assert result["__typename"] == "ImportRejectedError"
    report = result["report"]
    assert [i["key"] for i in report["inserted"]["items"]] == [usc(5)]
    assert report["inserted"]["items"][0]["location"].startswith("row ")
    assert any(i["location"].startswith("row ") and "check character" in i["reason"]
               for i in report["rejected"]["items"])  # fmt: skip
    assert read_rows(empty_url, "SELECT count(*) FROM enterprise") == [(4,)]


def test_a_datum_option_shifts_the_points_read(park: TestClient) -> None:
    """The same file read as GCJ-02 lands some 600 m away: nothing the same any more."""
    plain = imported(park, "ENTERPRISES", enterprises(), dry_run=True)["report"]
    assert (plain["unchanged"]["total"], plain["updated"]["total"]) == (4, 0)
    shifted = imported(park, "ENTERPRISES", enterprises(), dry_run=True,
                       options={"datum": "GCJ02", "allowOutside": True})["report"]  # fmt: skip
    assert (shifted["unchanged"]["total"], shifted["updated"]["total"]) == (0, 4)
    changes = [c for item in shifted["updated"]["items"] for c in item["changes"]]
    assert {c["field"] for c in changes} == {"geometry"}
