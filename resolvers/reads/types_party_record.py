"""The party-building record and safety standardisation of an enterprise: each field's SQL.
Counts and dates only."""

from __future__ import annotations

from resolvers.reads.compiler import Compiler, FieldSql, Listing, column, fields_of, upper
from resolvers.reads.selection import Selection

NEWEST = (("day", "date"), ("id", "bigint"))
DAY = {"party_meeting": "held_on", "party_election": "held_on",
       "party_pipeline": "recorded_on", "party_honour": "awarded_on"}  # fmt: skip


def entries(node: str, table: str) -> FieldSql:
    """The enterprise's entries of one part of the record, newest first, of a period when
    `from`/`to` are given."""

    def compiled(c: Compiler, t: str, s: Selection) -> str:
        day = DAY[table]
        conditions = [f"x.enterprise_id = {t}.id"]
        for name, operator in (("first", ">="), ("to", "<=")):
            if s.arg(name) is not None:
                conditions.append(f"x.{day} {operator} {c.bind(s.arg(name), 'date')}")
        source = f"SELECT x.*, x.{day} AS day FROM {table} x WHERE {' AND '.join(conditions)}"
        return c.many(Listing(node, source, NEWEST, descending=True), s)

    return compiled


fields_of("Enterprise").update({
    "partyMeetings": entries("PartyMeeting", "party_meeting"),
    "branchElections": entries("BranchElection", "party_election"),
    "partyPipeline": entries("PipelineEntry", "party_pipeline"),
    "partyHonours": entries("PartyHonour", "party_honour"),
    "safetyStandardisation": lambda c, t, s: c.one(
        "SafetyStandardisation", "safety_standardisation", f"{{r}}.enterprise_id = {t}.id", s
    ),
})  # fmt: skip
fields_of("PartyMeeting").update({
    "kind": upper("kind"),
    "heldOn": column("{t}.held_on"),
    "attendance": column("{t}.attendance"),
    "liaisonAttended": column("{t}.liaison_attended"),
})  # fmt: skip
fields_of("BranchElection").update({"heldOn": column("{t}.held_on")})
fields_of("PipelineEntry").update({
    "stage": upper("stage"),
    "recordedOn": column("{t}.recorded_on"),
    "people": column("{t}.people"),
})  # fmt: skip
fields_of("PartyHonour").update({
    "kind": upper("kind"),
    "awardedOn": column("{t}.awarded_on"),
    "awardedBy": column("{t}.awarded_by"),
})  # fmt: skip
fields_of("SafetyStandardisation").update({
    "certified": column("{t}.certified"),
    "level": upper("level"),
    "certifiedOn": column("{t}.certified_on"),
    "version": column("{t}.version"),
})  # fmt: skip
