"""The coverage workbook against the `coverage` field for the same park and thresholds:
every list has the field's rows, in its order."""

from __future__ import annotations

from tests.conftest import app_client, graphql_client
from tests.resolvers.exports.conftest import sheet_rows

REPORT = """
query ($park: String!) {
  coverage(park: $park, serviceDays: 60) {
    totals { zones grids enterprises withoutLiaison visited }
    grids { code }
    enterprisesWithoutLiaison { uscc }
    notVisited { uscc }
    overdueHazards { issueId }
    workload { perLiaison { loads { id enterprises } } }
  }
}
"""


def test_every_list_is_the_coverage_field(export, export_url, plain) -> None:
    [(park,)] = plain("SELECT code FROM park")
    path = export("coverage", "coverage.xlsx", park, "--service-days", "60", "--lang", "en")
    with app_client(export_url) as client:
        field = graphql_client(client)(REPORT, {"park": park}, ok=False)
    assert "errors" not in field, field["errors"]
    report = field["data"]["coverage"]
    totals = dict(sheet_rows(path, "totals")[1:])
    assert totals["zones"] == report["totals"]["zones"]
    assert totals["enterprises"] == report["totals"]["enterprises"]
    assert totals["visited"] == report["totals"]["visited"]
    assert [r[0] for r in sheet_rows(path, "grids")[1:]] == [g["code"] for g in report["grids"]]
    assert [r[0] for r in sheet_rows(path, "not-visited")[1:]] == [
        f["uscc"] for f in report["notVisited"]
    ]
    assert [r[0] for r in sheet_rows(path, "overdue-hazards")[1:]] == [
        int(h["issueId"]) for h in report["overdueHazards"]
    ]
    without = [f["uscc"] for f in report["enterprisesWithoutLiaison"]]
    assert [r[0] for r in sheet_rows(path, "enterprises-without-liaison")[1:]] == without
    loads = [(int(x["id"]), x["enterprises"]) for x in report["workload"]["perLiaison"]["loads"]]
    assert [(r[0], r[2]) for r in sheet_rows(path, "liaison-loads")[1:]] == loads
