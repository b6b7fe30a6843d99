"""The benchmark's queries: raw SQL (for pgbench), GraphQL for the service and, for the core
shapes, the same question in PostGraphile's generated schema (the peer), all with random inputs
drawn the same way over the generated province (Lua in bench.load for wrk)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from parkgrid.generate import PARK_GAP, PARK_SIZE, SOUTH, WEST, Plan
from resolvers.gis import features, tiles

# pgbench draws integers; a point is a random park, then a random spot inside it
POINT_SQL = """\\set park random(0, {last_park})
\\set u random(0, 1000000)
\\set v random(0, 1000000)
"""
LON = f"({WEST} + (:park % {{per_row}}) * {PARK_SIZE + PARK_GAP} + :u / 1e6 * {PARK_SIZE})"
LAT = f"({SOUTH} + (:park / {{per_row}}) * {PARK_SIZE + PARK_GAP} + :v / 1e6 * {PARK_SIZE})"
POINT = f"ST_SetSRID(ST_MakePoint({LON}, {LAT}), 4326)"
BBOX_SIZE = 0.01  # about 1 km: a zoomed-in map view, some 700 enterprises

GRID_DETAIL_SQL = """\\set gid random(1, {grids})
SELECT json_build_object(
  'code', g.code, 'name', g.name,
  'enterpriseCount', (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id),
  'openIssueCount', (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
                     WHERE e.grid_id = g.id AND i.status NOT IN ('closed', 'rejected')),
  'enterprises', (SELECT json_agg(json_build_object('uscc', p.uscc, 'name', p.name,
                    'location', ST_AsGeoJSON(p.location, 6)::json) ORDER BY p.uscc)
                  FROM (SELECT * FROM enterprise e WHERE e.grid_id = g.id
                        ORDER BY e.uscc LIMIT 20) p))
FROM grid g WHERE g.id = :gid;
"""

LOCATE_SQL = """WITH p AS (SELECT {point} AS geom),
m AS (SELECT parkgrid_grid_for_point(p.geom) AS grid_id FROM p)
SELECT g.code, z.code, k.code FROM m LEFT JOIN grid g ON g.id = m.grid_id
LEFT JOIN zone z ON z.id = g.zone_id LEFT JOIN park k ON k.id = z.park_id;
"""

NEAREST_SQL = """SELECT uscc, name, ST_AsGeoJSON(location, 6),
  ST_Distance(location::geography, ({point})::geography) AS d
FROM enterprise ORDER BY location::geography <-> ({point})::geography LIMIT 20;
"""

# the near variants by hand: the enterprises within 500 m (geodesic), counted, and a page of 20
# by code (measured for the page) or by distance (measured for every match)
NEAR_SQL = """WITH r AS (SELECT ({point})::geography AS g),
hit AS MATERIALIZED (SELECT e.* FROM enterprise e, r WHERE ST_DWithin(e.location::geography, r.g, 500))
SELECT (SELECT count(*) FROM hit),
  (SELECT json_agg(json_build_object('uscc', p.uscc, 'name', p.name,
          'location', ST_AsGeoJSON(p.location, 6)::json, 'distanceMeters', p.d) ORDER BY {order})
   FROM (SELECT hit.*, ST_Distance(hit.location::geography, r.g) AS d FROM hit, r
         ORDER BY {order} LIMIT 20) p);
"""

BBOX_SQL = """WITH b AS (SELECT {lon} AS w, {lat} AS s, {lon} + {size} AS e, {lat} + {size} AS n),
hit AS (SELECT e.* FROM enterprise e, b WHERE e.location && ST_MakeEnvelope(b.w, b.s, b.e, b.n, 4326)
        AND ST_X(e.location) BETWEEN b.w AND b.e AND ST_Y(e.location) BETWEEN b.s AND b.n)
SELECT (SELECT count(*) FROM hit),
  (SELECT json_agg(json_build_object('uscc', p.uscc, 'name', p.name,
          'location', ST_AsGeoJSON(p.location, 6)::json))
   FROM (SELECT * FROM hit ORDER BY uscc LIMIT 100) p);
"""

# a zone's planner view: its grids, each with its counts and its 10 oldest open issues (by id,
# as the service orders them)
PLANNER_SQL = """\\set zid random(1, {zones})
SELECT json_build_object('code', z.code, 'name', z.name, 'grids', (
  SELECT json_agg(json_build_object('code', g.code, 'name', g.name,
    'enterpriseCount', (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id),
    'openIssueCount', (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
                       WHERE e.grid_id = g.id AND i.status NOT IN ('closed', 'rejected')),
    'openIssues', (SELECT json_agg(json_build_object('id', o.id, 'category', o.category,
                     'status', o.status, 'dueDate', o.due_date,
                     'enterprise', json_build_object('uscc', o.uscc, 'name', o.name))
                     ORDER BY o.id)
                   FROM (SELECT i.id, i.category, i.status, i.due_date, e.uscc, e.name
                         FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
                         WHERE e.grid_id = g.id AND i.status NOT IN ('closed', 'rejected')
                         ORDER BY i.id LIMIT 10) o)) ORDER BY g.code)
  FROM (SELECT * FROM grid WHERE zone_id = z.id ORDER BY code LIMIT 100) g))
FROM zone z WHERE z.id = :zid;
"""

GRID_DETAIL_GQL = (
    "query ($code: String!) { grid(code: $code) { code name enterpriseCount openIssueCount"
    " enterprises(first: 20) { edges { node { uscc name location } } } } }"
)
LOCATE_GQL = (
    "query ($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat)"
    " { park { code } zone { code } grid { code } } }"
)
NEAREST_GQL = (
    "query ($lon: Float!, $lat: Float!) { nearestEnterprises(lon: $lon, lat: $lat, k: 20)"
    " { uscc name location distanceMeters } }"
)
BBOX_GQL = (
    "query ($bbox: [Float!]!) { enterprises(filter: {bbox: $bbox}, first: 100)"
    " { totalCount edges { node { uscc name location } } } }"
)
PLANNER_GQL = (
    "query ($code: String!) { zone(code: $code) { code name grids(first: 100) { edges { node {"
    " code name enterpriseCount openIssueCount openIssues(first: 10) { edges { node {"
    " id category status dueDate enterprise { uscc name } } } } } } } } }"
)

# the grid detail variants
GRID_AFTER_GQL = (
    "query ($code: String!, $after: String) { grid(code: $code) { code name enterpriseCount"
    " openIssueCount enterprises(first: 20, after: $after)"
    " { edges { node { uscc name location } } } } }"
)
NEAR_FIELDS = " { totalCount edges { node { uscc name location distanceMeters } } } }"
NEAR_GQL = (
    "query ($lon: Float!, $lat: Float!) { enterprises(filter:"
    " {near: {lon: $lon, lat: $lat, meters: 500}}, first: 20)" + NEAR_FIELDS
)
NEAR_DISTANCE_GQL = (
    "query ($lon: Float!, $lat: Float!) { enterprises(filter:"
    " {near: {lon: $lon, lat: $lat, meters: 500}}, orderBy: DISTANCE, first: 20)" + NEAR_FIELDS
)
INTERSECTS_GQL = (
    "query ($area: GeoJSON!) { enterprises(filter: {intersects: $area}, first: 20)"
    " { totalCount edges { node { uscc name location } } } }"
)
BBOX_NAME_GQL = (
    "query ($bbox: [Float!]!) { enterprises(filter: {bbox: $bbox}, orderBy: NAME, first: 100)"
    " { totalCount edges { node { uscc name location } } } }"
)

# The same questions in PostGraphile v4's generated schema (@graphile/postgis and the
# connection-filter plugins; bench/postgraphile/server.js). Counts are the totalCount of a
# connection: PostGraphile has no cheaper count. Issues have no relation to grids, so the bench
# adds the view bench_peer.open_issue (the open issues with their enterprise's grid_id, smart
# comments making foreign keys to grid and enterprise): Grid.openIssuesByGridId is then a
# connection whose totalCount is the open-issue count. See bench.run.PEER_SQL.
PEER_GRID_DETAIL_GQL = (
    "query ($code: String!) { gridByCode(code: $code) { code name"
    " enterprisesByGridId(first: 20, orderBy: USCC_ASC)"
    " { totalCount nodes { uscc name location { geojson } } }"
    " openIssuesByGridId { totalCount } } }"
)
# bench_peer.locate(lon, lat) returns the grid (parkgrid_grid_for_point), its zone and park
PEER_LOCATE_GQL = (
    "query ($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat)"
    " { code zoneByZoneId { code parkByParkId { code } } } }"
)
# `&&` of the point and the box: exactly "in the box, edges included", like parkgrid's bbox
PEER_BBOX_GQL = (
    "query ($box: GeoJSON!) { allEnterprises(filter: {location: {bboxIntersects2D: $box}},"
    " first: 100, orderBy: USCC_ASC) { totalCount nodes { uscc name location { geojson } } } }"
)
PEER_PLANNER_GQL = (
    "query ($code: String!) { zoneByCode(code: $code) { code name"
    " gridsByZoneId(first: 100, orderBy: CODE_ASC) { nodes { code name"
    " enterprisesByGridId { totalCount }"
    " openIssuesByGridId(first: 10, orderBy: ID_ASC) { totalCount nodes {"
    " id category status dueDate enterpriseByEnterpriseId { uscc name } } } } } } }"
)


@dataclass(frozen=True)
class CoreQuery:
    name: str
    sql: str  # for pgbench; "" when the row has no raw SQL
    graphql: str = ""
    variables_lua: str = ""  # a Lua expression building the JSON variables
    path_lua: str = ""  # or: a Lua expression building the path of a GET request
    sample_path: str = ""  # a GET request checked before the load
    token: str = ""  # sent as a bearer token (the service's reads then run as that caller)
    peer_graphql: str = ""  # the same question to PostGraphile; "" when not compared
    peer_variables_lua: str = ""  # its variables; default: variables_lua
    lua_setup: str = ""  # Lua definitions the variables need (run once per wrk thread)
    sample: dict[str, Any] = field(default_factory=dict)  # variables for the check, over SAMPLE


# the variables of the answer checked before each load (park 0; its first zone and grid)
SAMPLE: dict[str, Any] = {
    "code": "G0000000000",
    "lon": 110.06,
    "lat": 26.06,
    "bbox": [110.05, 26.05, 110.05 + BBOX_SIZE, 26.05 + BBOX_SIZE],
}
SAMPLE["box"] = SAMPLE["area"] = {
    "type": "Polygon",
    "coordinates": [[[110.05, 26.05], [110.06, 26.05], [110.06, 26.06], [110.05, 26.06],
                     [110.05, 26.05]]],
}  # fmt: skip


TILE_Z = 14
# the tile of a random point at TILE_Z, by the Web Mercator formulas
TILE_X = "floor(({lon} + 180) / 360 * 2 ^ {z})"
TILE_Y = "floor((1 - ln(tan(radians({lat})) + 1 / cos(radians({lat}))) / pi()) / 2 * 2 ^ {z})"


def inlined(header: str, statement: str, values: dict[str, str]) -> str:
    """A statement of the service with its parameters replaced by pgbench expressions."""
    for name, value in values.items():
        statement = statement.replace(f"%({name})s", value)
    return header + " ".join(statement.split()) + ";\n"


def tile_sql(header: str, lon: str, lat: str) -> str:
    """The service's own tile statement, the tile address computed from pgbench's point."""
    return inlined(header, tiles.LAYERS["enterprises"].statement, {
        "z": str(TILE_Z),
        "x": "CAST(" + TILE_X.format(lon=lon, z=TILE_Z) + " AS int)",
        "y": "CAST(" + TILE_Y.format(lat=lat, z=TILE_Z) + " AS int)",
        "today": "current_date",
    })  # fmt: skip


LINK = """'{"href": "http://127.0.0.1/ogc/collections/enterprises/items", "rel": "self"}'"""


def items_sql(header: str, lon: str, lat: str) -> str:
    """The service's own OGC items statement: a bbox page of 100 with numberMatched."""
    statement = features.items_statement(features.COLLECTIONS["enterprises"], True, ())
    return inlined(header, statement, {
        "w": lon, "s": lat, "e": f"{lon} + {BBOX_SIZE}", "n": f"{lat} + {BBOX_SIZE}",
        "limit": "100", "offset": "0", "today": "current_date",
        "precision": str(features.PRECISION),
        "self": LINK, "collection": LINK, "prev": "NULL", "next": LINK,
    })  # fmt: skip


def per_row(plan: Plan) -> int:
    return max(1, int(plan.parks**0.5 + 0.999999))


def point_sql(plan: Plan) -> tuple[str, str, str]:
    row = per_row(plan)
    return POINT.format(per_row=row), LON.format(per_row=row), LAT.format(per_row=row)


CODE_LUA = '"{\\"code\\": \\"" .. random_grid_code() .. "\\"}"'
ZONE_LUA = '"{\\"code\\": \\"" .. random_zone_code() .. "\\"}"'
POINT_LUA = 'string.format("{\\"lon\\": %.7f, \\"lat\\": %.7f}", random_point())'
BBOX_LUA = 'string.format("{\\"bbox\\": [%.7f, %.7f, %.7f, %.7f]}", random_bbox())'


def polygon_lua(name: str) -> str:
    """Variables {name: a GeoJSON Polygon}: the box of random_bbox (about 1 km square)."""
    return f'"{{\\"{name}\\": " .. box_polygon(random_bbox()) .. "}}"'


def core_queries(plan: Plan) -> list[CoreQuery]:
    point, lon, lat = point_sql(plan)
    header = POINT_SQL.format(last_park=plan.parks - 1)
    bbox = BBOX_SQL.format(lon=lon, lat=lat, size=BBOX_SIZE)
    return [
        CoreQuery("grid detail", GRID_DETAIL_SQL.format(grids=plan.grid_count), GRID_DETAIL_GQL,
                  CODE_LUA, peer_graphql=PEER_GRID_DETAIL_GQL),
        CoreQuery("locate", header + LOCATE_SQL.format(point=point), LOCATE_GQL, POINT_LUA,
                  peer_graphql=PEER_LOCATE_GQL),
        CoreQuery("nearestEnterprises k=20", header + NEAREST_SQL.format(point=point),
                  NEAREST_GQL, POINT_LUA),
        CoreQuery("enterprises(bbox) 100", header + bbox, BBOX_GQL, BBOX_LUA,
                  peer_graphql=PEER_BBOX_GQL, peer_variables_lua=polygon_lua("box")),
        CoreQuery(f"enterprise tile z{TILE_Z}", tile_sql(header, lon, lat),
                  path_lua=f'string.format("/tiles/enterprises/%d/%d/%d.mvt", random_tile({TILE_Z}))',
                  sample_path=f"/tiles/enterprises/{TILE_Z}/13301/6910.mvt"),
        CoreQuery("OGC items(bbox) 100", items_sql(header, lon, lat),
                  path_lua='string.format("/ogc/collections/enterprises/items?limit=100'
                           '&bbox=%.7f,%.7f,%.7f,%.7f", random_bbox())',
                  sample_path="/ogc/collections/enterprises/items?limit=100"
                              "&bbox=110.05,26.05,110.06,26.06"),
        CoreQuery("planner: zone, its grids, 10 open issues each",
                  PLANNER_SQL.format(zones=plan.parks * plan.zones_per_park), PLANNER_GQL,
                  ZONE_LUA, peer_graphql=PEER_PLANNER_GQL, sample={"code": "G000000"}),
    ]  # fmt: skip


def variants(plan: Plan, cursors: list[tuple[str, str]]) -> list[CoreQuery]:
    """The service's other request shapes, without peer (raw SQL for the `near` rows);
    `cursors`: (grid code, the endCursor of its first page of 20 enterprises) for some grids,
    for the page-2 row."""
    point, _, _ = point_sql(plan)
    header = POINT_SQL.format(last_park=plan.parks - 1)
    near = {
        order: header + NEAR_SQL.format(point=point, order=order) for order in ("uscc", "d, uscc")
    }
    table = ", ".join(f'{{"{code}", "{cursor}"}}' for code, cursor in cursors)
    page_two = (
        f"local page_two = {{{table}}}\n"
        "function random_page_two()\n"
        "  local row = page_two[math.random(1, #page_two)]\n"
        "  return row[1], row[2]\n"
        "end"
    )
    first_code, first_cursor = cursors[0] if cursors else (SAMPLE["code"], "")
    return [
        CoreQuery("grid detail, $after: String passed null", "", GRID_AFTER_GQL,
                  '"{\\"code\\": \\"" .. random_grid_code() .. "\\", \\"after\\": null}"',
                  sample={"after": None}),
        CoreQuery("grid detail page 2 (after its endCursor)", "", GRID_AFTER_GQL,
                  'string.format("{\\"code\\": \\"%s\\", \\"after\\": \\"%s\\"}",'
                  " random_page_two())",
                  lua_setup=page_two, sample={"code": first_code, "after": first_cursor}),
        CoreQuery("enterprises(near 500 m) 20 + totalCount", near["uscc"], NEAR_GQL, POINT_LUA),
        CoreQuery("enterprises(near 500 m, orderBy: DISTANCE) 20", near["d, uscc"],
                  NEAR_DISTANCE_GQL, POINT_LUA),
        CoreQuery("enterprises(intersects 1 km polygon) 20", "", INTERSECTS_GQL,
                  polygon_lua("area")),
        CoreQuery("enterprises(bbox, orderBy: NAME) 100", "", BBOX_NAME_GQL, BBOX_LUA),
    ]  # fmt: skip


def signed_in(query: CoreQuery, role: str, token: str) -> CoreQuery:
    """The same query by a signed-in caller: what reading as a caller costs."""
    return replace(query, name=f"{query.name} ({role} token)", token=token, peer_graphql="")
