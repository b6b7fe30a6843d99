"""The exports' options, read from text (a query string or the command line) and checked
once for both: a bad value is INVALID_INPUT naming the option, as the API names arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput, NotFound
from parkgrid.vocabulary import ISSUE_CATEGORIES, ISSUE_STATUSES
from resolvers.exports.base import LANGUAGES, Language
from resolvers.records import AreaKind, AreaRecord
from resolvers.scope import PARENTS

S = TypeVar("S", bound=str)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
"""The dates the API accepts (README: "a date outside 1900–2999")."""


def checked_language(text: str | None) -> Language:
    chosen = (text or "zh").strip().lower()
    for lang in LANGUAGES:
        if chosen == lang:
            return lang
    raise InvalidInput(f"must be one of {', '.join(LANGUAGES)}", field="lang")


def listed(values: Sequence[str] | None) -> list[str]:
    """Values given repeated or comma-separated (`status=closed,rejected`), in lower case."""
    found = []
    for given in values or ():
        found += [part.strip().lower() for part in given.split(",") if part.strip()]
    return found


def checked_choices(
    values: Sequence[str] | None, allowed: Sequence[S], field: str
) -> tuple[S, ...] | None:
    """The values, each one of `allowed`; None when none was given (no restriction)."""
    given = listed(values)
    if not given:
        return None
    chosen = []
    for value in given:
        match = next((a for a in allowed if a == value), None)
        if match is None:
            raise InvalidInput(f"{value!r} is not one of {', '.join(allowed)}", field=field)
        chosen.append(match)
    return tuple(dict.fromkeys(chosen))


def checked_statuses(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return checked_choices(values, ISSUE_STATUSES, "status")


def checked_categories(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return checked_choices(values, ISSUE_CATEGORIES, "category")


def checked_date(text: str | None, field: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput("must be a date, YYYY-MM-DD", field=field) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput("must be between 1900-01-01 and 2999-12-31", field=field)
    return day


def checked_month(text: str | None) -> tuple[date, date] | None:
    """`YYYY-MM` as its first and last day."""
    if text is None or not text.strip():
        return None
    first = checked_date(f"{text.strip()}-01", "month")
    if first is None or len(text.strip()) != 7:
        raise InvalidInput("must be a month, YYYY-MM", field="month")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def checked_range(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and first > last:
        raise InvalidInput("must not be after `to`", field="from")


def checked_flag(text: str | None, field: str) -> bool | None:
    if text is None or not text.strip():
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput("must be true or false", field=field)


def one_area(codes: dict[AreaKind, str | None]) -> tuple[AreaKind, str] | None:
    """At most one of park, zone and grid (as `stats` takes them)."""
    given = [(kind, code) for kind, code in codes.items() if code]
    if len(given) > 1:
        raise InvalidInput("give at most one of park, zone and grid", field=given[1][0])
    return given[0] if given else None


AREA_BY_CODE = {
    kind: f"SELECT id, code, name, {PARENTS[kind] or 'NULL'} AS parent_id FROM {kind}"
    " WHERE code = %(code)s"
    for kind in PARENTS
}


def area_by_code(conn: Connection, kind: AreaKind, code: str) -> AreaRecord:
    """The area, or NOT_FOUND naming the option (an export of nothing helps nobody)."""
    row: Any = conn.exec_driver_sql(AREA_BY_CODE[kind], {"code": code}).first()
    if row is None:
        raise NotFound(f"no {kind} has code {code!r}", field=kind)
    return AreaRecord(kind, row.id, row.code, row.name, row.parent_id)
