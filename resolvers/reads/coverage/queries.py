"""The SQL of the coverage report. Every statement starts with SCOPE; values are bound.

One definition for the park and its zones: a zone's report is the park's report restricted to
the zone. The park-wide sets are `park_zones`, `park_grids` and `park_firms` (the members of
the park's grids, plus the enterprises outside every grid that lie in the park's boundary),
each firm tagged with its zone: its member grid's zone (membership: the lowest-code covering
grid), or for a firm outside every grid the lowest-code zone covering it (none: the park's
report only). The scope (`zones`, `grids`, `firms`) keeps the rows of the zone (all of them
for the park), and every per-enterprise fact is taken against the park-wide sets, never the
scope: `flags` holds one row per enterprise of the scope with every fact the report counts
(so the per-grid table and the totals are sums of the same rows), and a point two grids
cover is on a boundary, with every covering grid listed, whichever zones those grids are in.
A firm on the line between two zones is thus counted once, in its member grid's zone, with
the same figures as in the park's report.

`park_grids` is not materialised, so each use of it plans against the grid table and its
spatial index (a park has thousands of grids)."""

from __future__ import annotations

from geo import sql as geosql
from parkgrid.vocabulary import DUTIES
from resolvers.scope import CURRENT, OPEN_ISSUE, served

HAS_LIAISON = f"""EXISTS (SELECT 1 FROM assignment a WHERE a.enterprise_id = e.id
    AND a.role = 'liaison' AND {CURRENT})"""

# the current liaison has exercised the policy duty at this firm since taking it on
POLICY_LIAISON = f"""EXISTS (SELECT 1 FROM assignment a JOIN visit v
        ON v.enterprise_id = a.enterprise_id AND v.cadre_id = a.cadre_id
    WHERE a.enterprise_id = e.id AND a.role = 'liaison' AND {CURRENT}
        AND 'policy' = ANY (v.duties) AND v.visited_at >= a.valid_from AND v.visited_at <= :at)"""

# served in the window: visited, or reached by a park-wide activity (the one rule, per duty too)
VISITED = served("e.id", ":since", ":at")
SERVED_IN = ", ".join(
    served("e.id", ":since", ":at", f"'{duty}'") + f" AS served_{duty}" for duty in DUTIES
)
SERVED_SUMS = ", ".join(f"count(*) FILTER (WHERE f.served_{d}) AS served_{d}" for d in DUTIES)

OVERDUE_HAZARD = f"{OPEN_ISSUE} AND i.category = 'safety_hazard' AND i.due_date < :today"


def in_scope(zone_id: str) -> str:
    """The row of `zone_id` is in the report's scope. :zone is NULL for the park's report;
    psycopg2 binds values client-side, so the planner sees a constant and drops a branch."""
    return f"(CAST(:zone AS bigint) IS NULL OR {zone_id} = :zone)"


AREA_SCOPE = f"""
WITH park_zones AS (
    SELECT z.id, z.code, z.name, z.boundary, z.park_id FROM zone z WHERE z.park_id = :park
), park_grids AS NOT MATERIALIZED (
    SELECT g.id, g.code, g.name, g.boundary, g.zone_id FROM grid g
    WHERE g.zone_id IN (SELECT id FROM park_zones)
), zones AS (
    SELECT * FROM park_zones WHERE {in_scope("id")}
), grids AS (
    SELECT * FROM park_grids WHERE {in_scope("zone_id")}
), park_firms AS (
    SELECT e.id, e.uscc, e.name, e.location, e.grid_id, g.zone_id
    FROM enterprise e JOIN park_grids g ON g.id = e.grid_id
    UNION ALL
    SELECT e.id, e.uscc, e.name, e.location, e.grid_id,
        (SELECT z.id FROM park_zones z WHERE ST_Covers(z.boundary, e.location)
         ORDER BY z.code LIMIT 1) AS zone_id
    FROM enterprise e JOIN park p ON p.id = :park
    WHERE e.grid_id IS NULL AND ST_Covers(p.boundary, e.location)
), firms AS (
    SELECT * FROM park_firms WHERE {in_scope("zone_id")}
)"""

SCOPE = f"""{AREA_SCOPE}, flags AS (
    SELECT e.id, e.grid_id,
        NOT {HAS_LIAISON} AS without_liaison,
        (SELECT count(*) FROM park_grids o WHERE ST_Covers(o.boundary, e.location)) >= 2
            AS on_boundary,
        (SELECT count(*) FROM issue i WHERE i.enterprise_id = e.id AND {OPEN_ISSUE})
            AS open_issues,
        {VISITED} AS visited,
        (SELECT count(*) FROM issue i WHERE i.enterprise_id = e.id AND {OVERDUE_HAZARD})
            AS overdue_hazards,
        coalesce(p.kind, 'none') AS party_kind,
        {POLICY_LIAISON} AS with_policy_liaison,
        {SERVED_IN}
    FROM firms e LEFT JOIN party_organisation p ON p.enterprise_id = e.id
)"""

SUMS = f"""count(f.id) AS enterprises,
    count(*) FILTER (WHERE f.without_liaison) AS without_liaison,
    count(*) FILTER (WHERE f.on_boundary) AS on_boundary,
    coalesce(sum(f.open_issues), 0) AS open_issues,
    count(*) FILTER (WHERE f.visited) AS visited,
    coalesce(sum(f.overdue_hazards), 0) AS overdue_hazards,
    count(*) FILTER (WHERE f.party_kind = 'own_branch') AS own_branch,
    count(*) FILTER (WHERE f.party_kind = 'joint_branch') AS joint_branch,
    count(*) FILTER (WHERE f.with_policy_liaison) AS with_policy_liaison,
    {SERVED_SUMS}"""

LOCATION = "ST_AsGeoJSON(e.location, :precision)::json"

FIRM_COLUMNS = (
    f"e.uscc, e.name, {LOCATION} AS location,"
    " (SELECT code FROM grid WHERE id = e.grid_id) AS grid_code"
)

UNLED = """
SELECT t.code, t.name, {geojson} AS geometry FROM {table} t
WHERE NOT EXISTS (SELECT 1 FROM assignment a
                  WHERE a.{column} = t.id AND a.role = '{role}' AND {current})
ORDER BY t.code
"""


def unled(table: str, column: str, role: str) -> str:
    return UNLED.format(
        table=table, column=column, role=role, current=CURRENT, geojson=geosql.geojson("boundary")
    )


ZONES_WITHOUT_LEAD = unled("zones", "zone_id", "zone_lead")
GRIDS_WITHOUT_LEAD = unled("grids", "grid_id", "grid_lead")

WITHOUT_LIAISON = f"""
SELECT {FIRM_COLUMNS} FROM firms e JOIN flags f ON f.id = e.id
WHERE f.without_liaison ORDER BY e.uscc
"""

OUTSIDE_GRIDS = f"""
SELECT {FIRM_COLUMNS} FROM firms e WHERE e.grid_id IS NULL ORDER BY e.uscc
"""

ON_BOUNDARY = f"""
SELECT {FIRM_COLUMNS},
    ARRAY(SELECT g.code FROM park_grids g WHERE ST_Covers(g.boundary, e.location)
          ORDER BY g.code) AS grid_codes
FROM firms e JOIN flags f ON f.id = e.id WHERE f.on_boundary ORDER BY e.uscc
"""

NOT_VISITED = f"""
SELECT {FIRM_COLUMNS},
    (SELECT max(v.visited_at) FROM visit v WHERE v.enterprise_id = e.id AND v.visited_at <= :at)
        AS last_visit
FROM firms e JOIN flags f ON f.id = e.id
WHERE NOT f.visited ORDER BY last_visit NULLS FIRST, e.uscc
"""

OVERDUE_HAZARDS = f"""
SELECT i.id AS issue_id, i.title, i.severity, i.status, i.due_date,
    :today - i.due_date AS days_overdue, {FIRM_COLUMNS}
FROM issue i JOIN firms e ON e.id = i.enterprise_id
WHERE {OVERDUE_HAZARD} ORDER BY i.due_date, i.id
"""

# interiors meet (dimension 2), not merely touching along an edge or at a corner; a pair is
# a defect of both its grids, so a zone's report lists it if either grid is the zone's
OVERLAPS = f"""
, pair AS (
    SELECT a.code AS first, b.code AS second,
           ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 3) AS geom
    FROM park_grids a JOIN park_grids b ON a.code < b.code AND a.boundary && b.boundary
    WHERE ({in_scope("a.zone_id")} OR {in_scope("b.zone_id")})
        AND ST_Relate(a.boundary, b.boundary, '2********')
)
SELECT first, second, {geosql.area_sqm("geom")} AS area_m2, {geosql.geojson("geom")} AS geometry
FROM pair ORDER BY first, second
"""

# the parts of `minuend` outside `subtrahend`, each part at least :min_gap m²
REMAINDER = """
, remainder AS (
    SELECT {code} AS code, {within} AS within, d.geom
    FROM {source},
    LATERAL ST_Dump(ST_CollectionExtract(ST_Difference({minuend}, coalesce({subtrahend},
        ST_SetSRID(ST_GeomFromText('POLYGON EMPTY'), 4326))), 3)) AS d
    WHERE {area} >= :min_gap
), merged AS (
    SELECT code, within, ST_Multi(ST_Collect(geom)) AS geom FROM remainder GROUP BY code, within
)
SELECT code, within, {merged_area} AS area_m2, {geojson} AS geometry FROM merged ORDER BY code
"""


def remainder(code: str, within: str, source: str, minuend: str, subtrahend: str) -> str:
    return REMAINDER.format(
        code=code,
        within=within,
        source=source,
        minuend=minuend,
        subtrahend=subtrahend,
        area=geosql.area_sqm("d.geom"),
        merged_area=geosql.area_sqm("geom"),
        geojson=geosql.geojson("geom"),
    )


GAPS = remainder(
    "z.code",
    "z.code",
    "zones z",
    "z.boundary",
    "(SELECT ST_Union(g.boundary) FROM grids g WHERE g.zone_id = z.id)",
)
GRID_LEAKS = remainder(
    "g.code", "z.code", "grids g JOIN zones z ON z.id = g.zone_id", "g.boundary", "z.boundary"
)
ZONE_LEAKS = remainder(
    "z.code", "p.code", "zones z JOIN park p ON p.id = z.park_id", "z.boundary", "p.boundary"
)

LIAISON_LOADS = f"""
SELECT c.id AS cadre_id, c.name, count(*) AS enterprises
FROM firms e JOIN assignment a ON a.enterprise_id = e.id AND a.role = 'liaison' AND {CURRENT}
JOIN cadre c ON c.id = a.cadre_id
GROUP BY c.id, c.name ORDER BY c.id
"""

GRID_LEAD_LOADS = f"""
SELECT c.id AS cadre_id, c.name, count(e.id) AS enterprises
FROM grids g JOIN assignment a ON a.grid_id = g.id AND a.role = 'grid_lead' AND {CURRENT}
JOIN cadre c ON c.id = a.cadre_id LEFT JOIN enterprise e ON e.grid_id = g.id
GROUP BY c.id, c.name ORDER BY c.id
"""

PER_GRID = f"""
SELECT g.code, g.name, z.code AS zone_code,
    EXISTS (SELECT 1 FROM assignment a WHERE a.grid_id = g.id AND a.role = 'grid_lead'
            AND {CURRENT}) AS has_lead,
    {geosql.geojson("g.boundary")} AS geometry,
    {SUMS}
FROM grids g JOIN zones z ON z.id = g.zone_id LEFT JOIN flags f ON f.grid_id = g.id
GROUP BY g.id, g.code, g.name, z.code, g.boundary ORDER BY g.code
"""

TOTALS = f"""
SELECT (SELECT count(*) FROM zones) AS zones, (SELECT count(*) FROM grids) AS grids, {SUMS}
FROM flags f
"""
