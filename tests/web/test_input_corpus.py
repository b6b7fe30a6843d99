"""No input reaches an internal error: every argument of every field and mutation, generated
from the served schema (tests/web/corpus.py), and the HTTP-level oddities below, are answered
with a classified error (or a success) and change nothing they should not, on the demo park on
real PostGIS. A property-based fuzzer (hypothesis-graphql) then runs a bounded, derandomized
number of queries and mutations with the same checks. Checks: tests/web/corpus_checks.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any, cast

import graphql
import pytest
import strawberry
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from sqlalchemy import create_engine
from starlette.testclient import TestClient

from parkgrid.settings import DatabaseSettings
from tests.conftest import ADMIN_TOKEN, Databases
from tests.web.corpus import BOWTIE, DATES, DATETIMES, GEOJSON, Case, anonymous_subset, schema_cases
from tests.web.corpus_checks import (
    Demo,
    Tables,
    accepted,
    excerpt,
    graphql_problems,
    post,
    route_problems,
)
from web.app import ParkGraphQL, create_app


def served_schema() -> graphql.GraphQLSchema:
    """The schema `create_app` serves on /graphql (building the app opens no connection)."""
    app = create_app(DatabaseSettings(url="postgresql://corpus@127.0.0.1:1/none"))
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if isinstance(endpoint, ParkGraphQL):
            return cast(strawberry.Schema, endpoint.schema)._schema
    raise LookupError("no GraphQL endpoint")


SCHEMA = served_schema()
CASES = schema_cases(SCHEMA)
ANONYMOUS = anonymous_subset(CASES)
OK = "{ parks { totalCount } }"


@dataclass(repr=False)
class Env:
    client: TestClient
    demo: Demo
    tables: Tables
    before: dict[str, tuple[int, int]] | None = None

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return "Env(demo park)"

    def changed(self, run: Any) -> tuple[Any, list[str]]:
        """Run `run()`; the tables whose stamp moved meanwhile."""
        before = self.before if self.before is not None else self.tables.stamp()
        result = run()
        self.before = after = self.tables.stamp()
        return result, sorted(
            t for t in after.keys() | before.keys() if after.get(t) != before.get(t)
        )


@pytest.fixture(scope="module")
def env(databases: Databases, demo_template: str) -> Iterator[Env]:
    """One throwaway demo database for the whole corpus; server errors come back as 500s."""
    url = databases.url(databases.create(template=demo_template))
    engine = create_engine(url)
    app = create_app(DatabaseSettings(url=url))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(client, Demo.read(engine, client), Tables(engine))
    engine.dispose()


def check_case(env: Env, case: Case) -> None:
    body = {"query": case.document, "variables": env.demo.resolve(dict(case.variables))}
    response, changed = env.changed(lambda: post(env.client, body, case.anonymous))
    problems = graphql_problems(response)
    if changed and not (case.mutation and accepted(response)):
        problems.append(f"tables changed: {', '.join(changed)}")
    assert not problems, f"HTTP {response.status_code}: " + " | ".join(problems)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_schema_argument_as_admin(env: Env, case: Case) -> None:
    check_case(env, case)


@pytest.mark.parametrize("case", ANONYMOUS, ids=[c.id for c in ANONYMOUS])
def test_schema_argument_anonymously(env: Env, case: Case) -> None:
    check_case(env, case)


def graphql_body(query: str, **extra: Any) -> bytes:
    return json.dumps({"query": query, **extra}).encode()


BODIES: dict[str, bytes] = {
    "null": b"null", "number": b"123", "string": b'"x"', "true": b"true", "empty-list": b"[]",
    "batch": b'[{"query": "{ parks { totalCount } }"}]', "empty-object": b"{}", "empty": b"",
    "truncated": b'{"query": ', "invalid-utf8": b'{"query": "{ parks { totalCount } }\xff"}',
    "trailing-nul": graphql_body(OK) + b"\x00", "nested-deep": b"[" * 10_000 + b"]" * 10_000,
    "query-null": b'{"query": null}', "query-number": b'{"query": 5}',
    "query-list": graphql_body(OK).replace(b'"{', b'["{').replace(b'}"', b'}"]'),
    "variables-string": graphql_body(OK, variables="x"),
    "variables-list": graphql_body(OK, variables=[1]),
    "operation-name-number": graphql_body(OK, operationName=5),
    "operation-name-unknown": graphql_body(OK, operationName="Nope"),
    "extensions-string": graphql_body(OK, extensions="x"),
    "unknown-key": graphql_body(OK, nope=1),
    "undefined-fragment": graphql_body("{ ...Nope }"),
    "fragment-on-unknown-type": graphql_body("{ ...F } fragment F on Nope { a }"),
    "fragment-cycle": graphql_body("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    "nul-in-document": graphql_body(OK + "\x00"),
    "surrogate-in-comment": graphql_body("# \ud800\n" + OK),
    "two-operations-no-name": graphql_body("query A " + OK + " query B " + OK),
    "subscription": graphql_body("subscription { parks { totalCount } }"),
    "empty-query": graphql_body(""), "comment-only": graphql_body("# nothing"),
    "too-many-tokens": graphql_body("{ " + "__typename " * 6_000 + "}"),
    "too-many-aliases": graphql_body("{ " + " ".join(f"a{i}: __typename" for i in range(100)) + " }"),
    "too-deep": graphql_body("{ grid(code: \"1\") { zone { park { zones { nodes { grids { nodes"
                             " { zone { park { zones { nodes { grids { nodes { code } } } } } } }"
                             " } } } } } } }"),
    "unknown-variable-type": graphql_body("query ($v: Nope) " + OK),
    "undeclared-variable": graphql_body("{ grid(code: $x) { code } }"),
    "float-literal-overflow": graphql_body("{ nearestEnterprises(lon: 1e999, lat: 0) { uscc } }"),
    "int-literal-overflow": graphql_body("{ nearestEnterprises(lon: 0, lat: 0, k: 99999999999999999999) { uscc } }"),
    "stats-year-1-to-9999": graphql_body('{ stats(from: "0001-01-01", to: "9999-12-31") { from to } }'),
    "stats-inverted-period": graphql_body('{ stats(from: "2026-06-30", to: "2026-01-01") { from to } }'),
    "stats-two-areas": graphql_body('{ stats(park: "430624101", zone: "430624101001") { from } }'),
    "mutation-lone-surrogate": graphql_body('mutation { commentIssue(id: "1", note: "\ud800") { __typename } }'),
}  # fmt: skip
CONTENT_TYPES = {"text-plain": "text/plain", "form": "application/x-www-form-urlencoded",
                 "multipart": "multipart/form-data; boundary=x", "graphql": "application/graphql",
                 "latin1-json": "application/json; charset=latin-1", "garbage": "\x7f/\x7f"}  # fmt: skip
GET = {"nul-in-string": '{ grid(code: "a\x00b") { code } }', "nul-in-document": OK + "\x00"}
GET_VARIABLES = {"not-json": "{", "list": "[1]", "nul": '{"c": "a\\u0000b"}', "number": "5"}


@dataclass(frozen=True)
class Http:
    id: str
    method: str
    path: str  # {park} is the demo park
    shape: str = "error"  # graphql, error (coverage, tiles) or ogc
    body: bytes | None = None
    content_type: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    anonymous: bool = False


def http_cases() -> list[Http]:
    gql = "/graphql"
    cases = [
        Http(f"body-{k}", "POST", gql, "graphql", v, "application/json") for k, v in BODIES.items()
    ]
    cases += [Http(f"content-type-{k}", "POST", gql, "graphql", graphql_body(OK), v)
              for k, v in CONTENT_TYPES.items()]  # fmt: skip
    cases += [Http("content-type-missing", "POST", gql, "graphql", graphql_body(OK))]
    cases += [
        Http(f"get-{k}", "GET", gql, "graphql", params=(("query", v),)) for k, v in GET.items()
    ]
    by_variable = "query ($c: String!) { grid(code: $c) { code } }"
    cases += [Http(f"get-variables-{k}", "GET", gql, "graphql", params=(("query", by_variable), ("variables", v)))
              for k, v in GET_VARIABLES.items()]  # fmt: skip
    cases += [Http("get-mutation", "GET", gql, "graphql",
                   params=(("query", 'mutation { commentIssue(id: "1", note: "x") { __typename } }'),)),
              Http("get-no-query", "GET", gql, "graphql", params=(("variables", "{}"),)),
              Http("get-invalid-utf8", "GET", gql + "?query=%7B%20grid(code%3A%20%22%ED%A0%80%22)"
                   "%20%7B%20code%20%7D%20%7D", "graphql"),  # a lone surrogate, as UTF-8 would
              Http("get-latin1", "GET", gql + "?query=%7B%20grid(code%3A%20%22%E9%22)%20%7B%20code%20%7D%20%7D",
                   "graphql"),
              Http("put", "PUT", gql, "graphql", graphql_body(OK), "application/json"),
              Http("delete", "DELETE", gql, "graphql")]  # fmt: skip
    layer = "/coverage/{park}/grids.geojson"
    coverage = {"zone-nul": ("zone", "a\x00b"), "zone-control": ("zone", "\x1b"),
                "zone-unknown": ("zone", "nope"), "min-gap-text": ("minGapSqM", "abc"),
                "min-gap-nan": ("minGapSqM", "nan"), "min-gap-inf": ("minGapSqM", "inf"),
                "min-gap-negative": ("minGapSqM", "-1"), "min-gap-1e400": ("minGapSqM", "1e400"),
                "service-days-huge": ("serviceDays", "9" * 20), "service-days-negative": ("serviceDays", "-5"),
                "service-days-float": ("serviceDays", "1.5"), "max-per-liaison-negative": ("maxPerLiaison", "-1"),
                "min-per-liaison-nul": ("minPerLiaison", "\x00"), "unknown-parameter": ("nope", "1")}  # fmt: skip
    cases += [Http(f"coverage-{k}", "GET", layer, params=(v,)) for k, v in coverage.items()]
    cases += [Http("coverage-park-nul", "GET", "/coverage/a%00b/grids.geojson"),
              Http("coverage-layer-nul", "GET", "/coverage/{park}/%00.geojson"),
              Http("coverage-park-huge", "GET", "/coverage/" + "9" * 5000 + "/grids.geojson"),
              Http("coverage-anonymous", "GET", layer, anonymous=True),
              Http("coverage-post", "POST", layer)]  # fmt: skip
    items = "/ogc/collections/enterprises/items"
    ogc = {"limit-negative": ("limit", "-1"), "limit-text": ("limit", "abc"),
           "limit-1e10": ("limit", "1e10"), "limit-huge": ("limit", "9" * 20),
           "offset-negative": ("offset", "-5"), "offset-huge": ("offset", "9" * 20),
           "bbox-nan": ("bbox", "nan,nan,nan,nan"), "bbox-three": ("bbox", "1,2,3"),
           "bbox-nul": ("bbox", "\x00"), "bbox-out-of-range": ("bbox", "181,91,-181,-91"),
           "bbox-inf": ("bbox", "-inf,-inf,inf,inf"), "grid-code-nul": ("grid_code", "\x00"),
           "industry-nul": ("industry", "a\x00b"), "name-rtl": ("name", "\u202e"),
           "uscc-huge": ("uscc", "x" * 20_000), "datetime-garbage": ("datetime", "garbage"),
           "datetime-nul": ("datetime", "2026-01-01T00:00:00Z\x00"),
           "datetime-year-0": ("datetime", "0000-01-01T00:00:00Z/.."), "f-xml": ("f", "xml"),
           "f-nul": ("f", "\x00"), "unknown": ("nope", "1")}  # fmt: skip
    cases += [Http(f"ogc-items-{k}", "GET", items, "ogc", params=(v,)) for k, v in ogc.items()]
    issues = "/ogc/collections/issues/items"
    cases += [Http("ogc-items-repeated", "GET", items, "ogc", params=(("limit", "1"), ("limit", "2"))),
              Http("ogc-issue-status-nul", "GET", issues, "ogc", params=(("status", "\x00"),)),
              Http("ogc-issue-overdue-maybe", "GET", issues, "ogc", params=(("overdue", "maybe"),)),
              Http("ogc-issue-id-huge", "GET", issues + "/" + "9" * 20, "ogc"),
              Http("ogc-issue-id-negative", "GET", issues + "/-1", "ogc"),
              Http("ogc-issue-id-text", "GET", issues + "/abc", "ogc"),
              Http("ogc-feature-nul", "GET", items + "/%00", "ogc"),
              Http("ogc-feature-huge", "GET", items + "/" + "x" * 5000, "ogc"),
              Http("ogc-collection-nul", "GET", "/ogc/collections/%00", "ogc"),
              Http("ogc-landing-f-nul", "GET", "/ogc", "ogc", params=(("f", "\x00"),)),
              Http("ogc-api-f-xml", "GET", "/ogc/api", "ogc", params=(("f", "xml"),))]  # fmt: skip
    tiles = {"zoom-above-max": "/tiles/enterprises/99/0/0.mvt",
             "x-outside": "/tiles/enterprises/14/99999999999/0.mvt",
             "zoom-huge": "/tiles/enterprises/" + "9" * 30 + "/0/0.mvt",
             "x-negative": "/tiles/enterprises/14/-1/0.mvt", "layer-nul": "/tiles/%00/14/0/0.mvt",
             "json-layer-nul": "/tiles/%00.json", "json-layer-unknown": "/tiles/nope.json",
             "png": "/tiles/enterprises/14/0/0.png"}  # fmt: skip
    cases += [Http(f"tiles-{k}", "GET", v) for k, v in tiles.items()]
    return cases


HTTP = http_cases()


@pytest.mark.parametrize("case", HTTP, ids=[c.id for c in HTTP])
def test_http_input(env: Env, case: Http) -> None:
    headers = {} if case.anonymous else {"authorization": f"Bearer {ADMIN_TOKEN}"}
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    url = case.path.replace("{park}", env.demo.values["park"])

    def send() -> Any:
        return env.client.request(case.method, url, content=case.body, headers=headers,
                                  params=list(case.params))  # fmt: skip

    response, changed = env.changed(send)
    problems = route_problems(response, case.shape)
    if changed:
        problems.append(f"tables changed: {', '.join(changed)}")
    assert not problems, f"HTTP {response.status_code}: " + " | ".join(problems)


def literal(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal: GeoJSON goes into documents as an object literal."""
    if isinstance(value, dict):
        return nodes.Object(
            [
                graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=literal(v))
                for k, v in value.items()
            ]
        )
    if isinstance(value, list):
        return nodes.List([literal(v) for v in value])
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    return nodes.Float(value) if isinstance(value, float) else nodes.String(value)


POINT = {"type": "Point", "coordinates": [112.88, 28.69]}
SCALARS = {
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from([*DATES.values()])),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        st.sampled_from([*DATETIMES.values()]),
    ),
}
CUSTOM = {name: strategy.map(nodes.String) for name, strategy in SCALARS.items()} | {
    "GeoJSON": st.sampled_from(
        [POINT, {"type": "Polygon", "coordinates": BOWTIE}, *GEOJSON.values()]
    ).map(literal),
    "JSON": st.just(nodes.Object([])),
    "Upload": st.just(nodes.String("corpus")),  # no file: importFile refuses it on `file`
}
FUZZ = settings(
    max_examples=50,
    derandomize=True,  # the same examples every run: a failure is reproducible, not flaky
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the whole document is reported
)


def with_typenames(document: graphql.DocumentNode) -> str:
    """Select `__typename` on every root field, so a mutation's success is visible."""
    typename = graphql.FieldNode(name=graphql.NameNode(value="__typename"))

    def typed(node: graphql.SelectionNode) -> graphql.SelectionNode:
        if not isinstance(node, graphql.FieldNode) or node.selection_set is None:
            return node
        selections = (*node.selection_set.selections, typename)
        return replace(node, selection_set=replace(node.selection_set, selections=selections))

    definitions = [
        replace(d, selection_set=replace(d.selection_set, selections=tuple(
            typed(n) for n in d.selection_set.selections)))
        if isinstance(d, graphql.OperationDefinitionNode) else d
        for d in document.definitions
    ]  # fmt: skip
    return graphql.print_ast(replace(document, definitions=tuple(definitions)))


def check_fuzzed(env: Env, query: str, mutation: bool) -> None:
    response, changed = env.changed(lambda: post(env.client, {"query": query}))
    problems = graphql_problems(response)
    if changed and not (mutation and accepted(response)):
        problems.append(f"tables changed: {', '.join(changed)}")
    assert not problems, f"{excerpt(query, 600)} -> HTTP {response.status_code}: {problems}"


def fuzzed(kind: Any, mode: Mode) -> Any:
    return kind(SCHEMA, custom_scalars=CUSTOM, print_ast=with_typenames, mode=mode)


@FUZZ
@given(query=fuzzed(queries, Mode.POSITIVE))
def test_fuzzed_valid_queries(env: Env, query: str) -> None:
    check_fuzzed(env, query, mutation=False)


@FUZZ
@given(query=fuzzed(queries, Mode.NEGATIVE))
def test_fuzzed_invalid_queries(env: Env, query: str) -> None:
    check_fuzzed(env, query, mutation=False)


@FUZZ
@given(query=fuzzed(mutations, Mode.POSITIVE))
def test_fuzzed_valid_mutations(env: Env, query: str) -> None:
    check_fuzzed(env, query, mutation=True)


@FUZZ
@given(query=fuzzed(mutations, Mode.NEGATIVE))
def test_fuzzed_invalid_mutations(env: Env, query: str) -> None:
    check_fuzzed(env, query, mutation=True)
