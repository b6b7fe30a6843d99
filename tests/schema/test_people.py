"""Who serves a grid, now and at any past moment; enterprises and their records."""

from __future__ import annotations

from sqlalchemy import text

GRID = "430624101001001"
CURRENT = "a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"


def rows(engine, query: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).all()


def test_grid_cadres_are_its_lead_its_zone_lead_and_its_liaisons(gql, demo_url, engine_for) -> None:
    served = gql('{ grid(code: "%s") { cadres { id role targets } } }' % GRID)["data"]["grid"][
        "cadres"
    ]
    engine = engine_for(demo_url)
    expected = rows(
        engine,
        f"""
        SELECT a.cadre_id::text, 'GRID_LEAD', 1 FROM assignment a JOIN grid g ON g.id = a.grid_id WHERE g.code = :c AND {CURRENT}
        UNION ALL SELECT a.cadre_id::text, 'ZONE_LEAD', 1 FROM assignment a JOIN grid g ON g.zone_id = a.zone_id WHERE g.code = :c AND {CURRENT}
        UNION ALL SELECT a.cadre_id::text, 'LIAISON', count(*) FROM assignment a JOIN enterprise e ON e.id = a.enterprise_id
            JOIN grid g ON g.id = e.grid_id WHERE g.code = :c AND {CURRENT} GROUP BY 1""",
        c=GRID,
    )
    assert sorted((c["id"], c["role"], c["targets"]) for c in served) == sorted(
        tuple(r) for r in expected
    )
    assert [c["role"] for c in served][:2] == ["ZONE_LEAD", "GRID_LEAD"]


def test_liaison_history_answers_who_covered_it_then(gql, demo_url, engine_for) -> None:
    (uscc, before, after, changed_at) = rows(
        engine_for(demo_url),
        """
        SELECT e.uscc, old.cadre_id::text, new.cadre_id::text, new.valid_from FROM assignment old
        JOIN assignment new ON new.enterprise_id = old.enterprise_id AND new.valid_from = old.valid_to
        JOIN enterprise e ON e.id = old.enterprise_id WHERE old.role = 'liaison' ORDER BY e.uscc LIMIT 1""",
    )[0]
    query = """query ($u: String!, $then: DateTime!) { enterprise(uscc: $u) {
        now: liaison { id } then: liaison(at: $then) { id } } }"""
    then = (
        changed_at.replace(microsecond=0) - __import__("datetime").timedelta(days=30)
    ).isoformat()
    data = gql(query, {"u": uscc, "then": then})["data"]["enterprise"]
    assert (data["then"]["id"], data["now"]["id"]) == (before, after)
    assert before != after


def test_enterprise_lookup_is_case_insensitive_and_complete(gql, demo_url, engine_for) -> None:
    (uscc, issues, visits) = rows(
        engine_for(demo_url),
        """
        SELECT e.uscc, (SELECT count(*) FROM issue i WHERE i.enterprise_id = e.id),
               (SELECT count(*) FROM visit v WHERE v.enterprise_id = e.id)
        FROM enterprise e ORDER BY 2 DESC, 1 LIMIT 1""",
    )[0]
    query = """query ($u: String!) { enterprise(uscc: $u) { uscc zone { code } grid { code }
        issues(first: 2) { totalCount nodes { status category events { action } } }
        visits(first: 2) { totalCount nodes { duties cadre { name } visitedAt } } } }"""
    data = gql(query, {"u": uscc.lower()})["data"]["enterprise"]
    assert data["uscc"] == uscc
    assert data["issues"]["totalCount"] == issues
    assert data["visits"]["totalCount"] == visits
    assert data["issues"]["nodes"][0]["events"][0]["action"] == "reported"
    assert "LIAISON" in data["visits"]["nodes"][0]["duties"]
    assert data["grid"]["code"].startswith(data["zone"]["code"])


def test_cadre_by_id_with_current_assignments(gql, demo_url, engine_for) -> None:
    (cadre_id, count) = rows(
        engine_for(demo_url),
        f"""
        SELECT a.cadre_id::text, count(*) FROM assignment a WHERE {CURRENT} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
    )[0]
    data = gql(
        '{ cadre(id: "%s") { id name phone assignments { role grid { code } enterprise { uscc } } } }'
        % cadre_id
    )
    assert len(data["data"]["cadre"]["assignments"]) == count


def test_bad_cadre_id_is_refused(gql) -> None:
    body = gql('{ cadre(id: "abc") { id } }', ok=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


def test_issue_by_id_with_overdue_flag(gql, demo_url, engine_for) -> None:
    (issue_id, overdue) = rows(
        engine_for(demo_url),
        """
        SELECT id::text, due_date < (now() AT TIME ZONE 'Asia/Shanghai')::date FROM issue
        WHERE status NOT IN ('closed', 'rejected') ORDER BY due_date LIMIT 1""",
    )[0]
    data = gql(
        '{ issue(id: "%s") { id overdue status enterprise { uscc } reporter { name } } }' % issue_id
    )
    assert data["data"]["issue"]["overdue"] is overdue is True
