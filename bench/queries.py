"""The benchmark's core queries, each as raw SQL (for pgbench) and as GraphQL (for wrk),
both with random inputs drawn the same way over the generated province."""

from __future__ import annotations

from dataclasses import dataclass

from parkgrid.generate import PARK_GAP, PARK_SIZE, SOUTH, WEST, Plan
from resolvers import features, tiles

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

BBOX_SQL = """WITH b AS (SELECT {lon} AS w, {lat} AS s, {lon} + {size} AS e, {lat} + {size} AS n),
hit AS (SELECT e.* FROM enterprise e, b WHERE e.location && ST_MakeEnvelope(b.w, b.s, b.e, b.n, 4326)
        AND ST_X(e.location) BETWEEN b.w AND b.e AND ST_Y(e.location) BETWEEN b.s AND b.n)
SELECT (SELECT count(*) FROM hit),
  (SELECT json_agg(json_build_object('uscc', p.uscc, 'name', p.name,
          'location', ST_AsGeoJSON(p.location, 6)::json))
   FROM (SELECT * FROM hit ORDER BY uscc LIMIT 100) p);
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


@dataclass(frozen=True)
class CoreQuery:
    name: str
    sql: str
    graphql: str = ""
    variables_lua: str = ""  # a Lua expression building the JSON variables
    path_lua: str = ""  # or: a Lua expression building the path of a GET request
    sample_path: str = ""  # a GET request checked before the load
    token: str = ""  # sent as a bearer token (the service's reads then run as that caller)


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


def core_queries(plan: Plan) -> list[CoreQuery]:
    point, lon, lat = point_sql(plan)
    header = POINT_SQL.format(last_park=plan.parks - 1)
    bbox = BBOX_SQL.format(lon=lon, lat=lat, size=BBOX_SIZE)
    return [
        CoreQuery("grid detail", GRID_DETAIL_SQL.format(grids=plan.grid_count), GRID_DETAIL_GQL,
                  '"{\\"code\\": \\"" .. random_grid_code() .. "\\"}"'),
        CoreQuery("locate", header + LOCATE_SQL.format(point=point), LOCATE_GQL,
                  'string.format("{\\"lon\\": %.7f, \\"lat\\": %.7f}", random_point())'),
        CoreQuery("nearestEnterprises k=20", header + NEAREST_SQL.format(point=point),
                  NEAREST_GQL, 'string.format("{\\"lon\\": %.7f, \\"lat\\": %.7f}", random_point())'),
        CoreQuery("enterprises(bbox) 100", header + bbox, BBOX_GQL,
                  'string.format("{\\"bbox\\": [%.7f, %.7f, %.7f, %.7f]}", random_bbox())'),
        CoreQuery(f"enterprise tile z{TILE_Z}", tile_sql(header, lon, lat),
                  path_lua=f'string.format("/tiles/enterprises/%d/%d/%d.mvt", random_tile({TILE_Z}))',
                  sample_path=f"/tiles/enterprises/{TILE_Z}/13301/6910.mvt"),
        CoreQuery("OGC items(bbox) 100", items_sql(header, lon, lat),
                  path_lua='string.format("/ogc/collections/enterprises/items?limit=100'
                           '&bbox=%.7f,%.7f,%.7f,%.7f", random_bbox())',
                  sample_path="/ogc/collections/enterprises/items?limit=100"
                              "&bbox=110.05,26.05,110.06,26.06"),
    ]  # fmt: skip
