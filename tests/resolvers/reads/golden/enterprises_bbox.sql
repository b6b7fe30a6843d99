-- b0 float 112.861
-- b1 float 28.671
-- b2 float 112.899
-- b3 float 28.699
-- b4 int 100
-- b5 float 1000000.0
SELECT json_build_object('enterprises'::text, (WITH hit AS MATERIALIZED (SELECT e.*, NULL::float8 AS distance_m FROM enterprise e WHERE TRUE AND e.location && ST_MakeEnvelope(CAST(%(b0)s AS float8), CAST(%(b1)s AS float8), CAST(%(b2)s AS float8), CAST(%(b3)s AS float8), 4326) AND ST_X(e.location) BETWEEN CAST(%(b0)s AS float8) AND CAST(%(b2)s AS float8) AND ST_Y(e.location) BETWEEN CAST(%(b1)s AS float8) AND CAST(%(b3)s AS float8)) SELECT json_build_object('totalCount'::text, (SELECT count(*) FROM hit c), 'nodes'::text, coalesce(json_agg(json_build_object('uscc'::text, p1.uscc, 'name'::text, p1.name, 'location'::text, json_build_object('type', 'Point', 'coordinates', json_build_array(round(ST_X(p1.location) * CAST(%(b5)s AS float8)) / CAST(%(b5)s AS float8), round(ST_Y(p1.location) * CAST(%(b5)s AS float8)) / CAST(%(b5)s AS float8)))) ORDER BY p1.rn) FILTER (WHERE p1.rn <= CAST(%(b4)s AS integer)), '[]'::json)) FROM (SELECT x2.*, row_number() OVER (ORDER BY x2.uscc) AS rn FROM hit x2 WHERE TRUE ORDER BY x2.uscc LIMIT CAST(%(b4)s AS integer) + 1) p1 GROUP BY ()))::text AS data, ARRAY[]::boolean[] AS guards
