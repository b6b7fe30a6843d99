-- b0 float 112.9013
-- b1 float 28.7007
-- b2 float 1234.5
-- b3 float 112.9013
-- b4 float 28.7007
-- b5 int 10
-- b6 float 321.25
-- b7 str "91430624MA0QC60PNP"
SELECT json_build_object('enterprises'::text, (WITH hit AS MATERIALIZED (SELECT e.*, ST_Distance(e.location::geography, ST_SetSRID(ST_MakePoint(CAST(%(b3)s AS float8), CAST(%(b4)s AS float8)), 4326)::geography) AS distance_m FROM enterprise e WHERE TRUE AND ST_DWithin(e.location::geography, ST_SetSRID(ST_MakePoint(CAST(%(b0)s AS float8), CAST(%(b1)s AS float8)), 4326)::geography, CAST(%(b2)s AS float8))) SELECT json_build_object('totalCount'::text, (SELECT count(*) FROM hit c), 'pageInfo'::text, json_build_object('hasNextPage'::text, count(*) > CAST(%(b5)s AS integer), 'endCursor'::text, (array_agg(translate(encode(convert_to('[' || to_json(p1.distance_m)::text || ',' || to_json(p1.uscc)::text || ']', 'UTF8'), 'base64'), E'+/\n', '-_') ORDER BY p1.rn DESC) FILTER (WHERE p1.rn <= CAST(%(b5)s AS integer)))[1]), 'edges'::text, coalesce(json_agg(json_build_object('cursor'::text, translate(encode(convert_to('[' || to_json(p1.distance_m)::text || ',' || to_json(p1.uscc)::text || ']', 'UTF8'), 'base64'), E'+/\n', '-_'), 'node'::text, json_build_object('uscc'::text, p1.uscc, 'distanceMeters'::text, p1.distance_m)) ORDER BY p1.rn) FILTER (WHERE p1.rn <= CAST(%(b5)s AS integer)), '[]'::json)) FROM (SELECT x2.*, row_number() OVER (ORDER BY x2.distance_m, x2.uscc) AS rn FROM hit x2 WHERE (x2.distance_m, x2.uscc) > (CAST(%(b6)s AS float8), CAST(%(b7)s AS text)) ORDER BY x2.distance_m, x2.uscc LIMIT CAST(%(b5)s AS integer) + 1) p1 GROUP BY ()))::text AS data, ARRAY[]::boolean[] AS guards
