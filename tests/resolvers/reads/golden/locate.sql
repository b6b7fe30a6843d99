-- b0 float 112.8712
-- b1 float 28.6861
SELECT json_build_object('locate'::text, (WITH 
p AS (SELECT ST_SetSRID(ST_MakePoint(CAST(%(b0)s AS float8), CAST(%(b1)s AS float8)), 4326) AS geom),
grid_hit AS (
    SELECT g.id, g.code, g.name, g.zone_id FROM grid g, p
    WHERE g.id = parkgrid_grid_for_point(p.geom)
),
zone_hit AS (
    SELECT z.id, z.code, z.name, z.park_id FROM zone z, p
    WHERE z.id = coalesce(
        (SELECT zone_id FROM grid_hit),
        (SELECT z2.id FROM zone z2 WHERE ST_Covers(z2.boundary, p.geom) ORDER BY z2.code LIMIT 1))
),
park_hit AS (
    SELECT k.id, k.code, k.name FROM park k, p
    WHERE k.id = coalesce(
        (SELECT park_id FROM zone_hit),
        (SELECT k2.id FROM park k2 WHERE ST_Covers(k2.boundary, p.geom) ORDER BY k2.code LIMIT 1))
) SELECT json_build_object('park'::text, (SELECT json_build_object('code'::text, r1.code) FROM park r1 WHERE r1.id = (SELECT id FROM park_hit)), 'zone'::text, (SELECT json_build_object('code'::text, r2.code, 'name'::text, r2.name) FROM zone r2 WHERE r2.id = (SELECT id FROM zone_hit)), 'grid'::text, (SELECT json_build_object('code'::text, r3.code, 'name'::text, r3.name) FROM grid r3 WHERE r3.id = (SELECT id FROM grid_hit)))))::text AS data, ARRAY[]::boolean[] AS guards
