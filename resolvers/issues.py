"""The columns of an issue record, as the ledger's writes and the statistics read them."""

from __future__ import annotations

ISSUE_COLUMNS = (
    "i.id, i.enterprise_id, i.category, i.title, i.description, i.severity, i.status,"
    " i.reporter_id, i.assignee_id, i.responsible_unit, i.due_date, i.rejection_reason,"
    " i.reported_at, i.updated_at, i.resolved_at, i.closed_at, i.version"
)
