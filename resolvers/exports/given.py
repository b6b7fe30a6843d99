"""Each export's options from what a caller typed: a query string's parameters or the command
line's options, both as name → values, with the same names (`status`, `from`, `minGapSqM`),
so the two front ends accept and refuse exactly the same things."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from parkgrid.errors import InvalidInput
from resolvers.exports.base import Clock
from resolvers.exports.coverage import CoverageOptions
from resolvers.exports.crs import Target, checked_target
from resolvers.exports.ledger import LedgerOptions
from resolvers.exports.notice import FORMATS as NOTICE_FORMATS
from resolvers.exports.notice import NoticeOptions
from resolvers.exports.options import (
    checked_categories,
    checked_date,
    checked_flag,
    checked_language,
    checked_month,
    checked_range,
    checked_statuses,
    one_area,
)
from resolvers.exports.register import RegisterOptions, checked_layers
from resolvers.exports.stats import StatsOptions
from resolvers.exports.vector import Format, checked_format
from resolvers.filters import IssueFilter
from resolvers.reads import coverage
from resolvers.reads.stats import midnight

Given = Mapping[str, Sequence[str]]

LEDGER = ("park", "zone", "grid", "status", "category", "overdue", "from", "to", "lang")
STATS = ("park", "zone", "grid", "from", "to", "month", "lang")
REGISTER = ("park", "layer", "crs")
COVERAGE = ("zone", "minGapSqM", "maxPerLiaison", "minPerLiaison", "serviceDays", "lang")
NOTICE = ("month", "park", "lang")
OPTIONS = {"ledger": LEDGER, "stats": STATS, "register": REGISTER, "coverage": COVERAGE,
           "recruitment": NOTICE}  # fmt: skip


def checked_names(given: Given, export: str) -> None:
    """Refuses an option the export does not take (a typo would otherwise export everything)."""
    allowed = OPTIONS[export]
    for name in given:
        if name not in allowed:
            raise InvalidInput(f"not an option of this export: {', '.join(allowed)}", field=name)


def one(given: Given, name: str) -> str | None:
    values = [v for v in given.get(name, ()) if v is not None]
    if len(values) > 1:
        raise InvalidInput("give it once", field=name)
    return (values[0].strip() or None) if values else None


def ledger_options(given: Given, clock: Clock) -> LedgerOptions:
    """The `issues` filter of the query's arguments; `from` and `to` are the first and last
    reporting day, in the park's time zone."""
    checked_names(given, "ledger")
    first, last = checked_date(one(given, "from"), "from"), checked_date(one(given, "to"), "to")
    checked_range(first, last)
    chosen = IssueFilter(
        park=one(given, "park"), zone=one(given, "zone"), grid=one(given, "grid"),
        statuses=checked_statuses(given.get("status")),
        categories=checked_categories(given.get("category")),
        overdue=checked_flag(one(given, "overdue"), "overdue"),
        reported_after=midnight(first, clock.timezone) if first else None,
        reported_before=midnight(last + timedelta(days=1), clock.timezone) if last else None,
        today=clock.today,
    )  # fmt: skip
    return LedgerOptions(chosen, clock, checked_language(one(given, "lang")))


def stats_options(given: Given, clock: Clock) -> StatsOptions:
    """An area (at most one of park, zone, grid) and a period: `month` (YYYY-MM) or
    `from`/`to` (default: the 365 days ending today, as `stats`)."""
    checked_names(given, "stats")
    area = one_area({"park": one(given, "park"), "zone": one(given, "zone"),
                     "grid": one(given, "grid")})  # fmt: skip
    first, last = checked_date(one(given, "from"), "from"), checked_date(one(given, "to"), "to")
    month = checked_month(one(given, "month"))
    if month and (first or last):
        raise InvalidInput("give either month or from and to", field="month")
    first, last = month or (first, last)
    checked_range(first, last)
    return StatsOptions(area, first, last, clock, checked_language(one(given, "lang")))


def register_options(
    given: Given, format_name: str, at: datetime
) -> tuple[RegisterOptions, Format, Target]:
    checked_names(given, "register")
    format_ = checked_format(format_name)
    target = checked_target(one(given, "crs"))
    options = RegisterOptions(one(given, "park"), checked_layers(given.get("layer")), at)
    return options, format_, target


def notice_options(given: Given, format_name: str, clock: Clock) -> NoticeOptions:
    """The `recruitmentNotice` query's arguments: a month (YYYY-MM, required) and a park."""
    checked_names(given, "recruitment")
    chosen = format_name.strip().lower()
    if chosen not in NOTICE_FORMATS:
        raise InvalidInput(f"must be one of {', '.join(NOTICE_FORMATS)}", field="format")
    month = checked_month(one(given, "month"))
    if month is None:
        raise InvalidInput("give the notice's month, YYYY-MM", field="month")
    lang = checked_language(one(given, "lang"))
    return NoticeOptions(month[0], one(given, "park"), chosen, clock, lang)


T = TypeVar("T")
NUMBERS: dict[object, str] = {float: "a number", int: "a whole number"}


def numeric(given: Given, name: str, kind: Callable[[str], T], default: T) -> T:
    """The parameter as a number of `kind` (float or int), or `default` when absent."""
    text = one(given, name)
    try:
        return default if text is None else kind(text)
    except ValueError as exc:
        raise InvalidInput(f"must be {NUMBERS.get(kind, 'a number')}", field=name) from exc


def coverage_options(park: str, given: Given, clock: Clock) -> CoverageOptions:
    """The `coverage` field's arguments, checked by its own rules."""
    checked_names(given, "coverage")
    defaults = coverage.Thresholds()
    thresholds = coverage.checked_thresholds(
        numeric(given, "minGapSqM", float, defaults.min_gap_m2),
        numeric(given, "maxPerLiaison", int, defaults.max_per_liaison),
        numeric(given, "minPerLiaison", int, defaults.min_per_liaison),
        numeric(given, "serviceDays", int, defaults.service_days),
    )
    lang = checked_language(one(given, "lang"))
    return CoverageOptions(park, one(given, "zone"), thresholds, clock, lang)
