"""What every export is: a read under the caller's scope, then a file written from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
D = TypeVar("D")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export(Generic[D]):
    """`collect` runs on a connection scoped to the caller (rolled back afterwards), `write`
    builds the file at the path it is given without touching the database, so the connection
    is back in the pool before the (slower) file is written."""

    collect: Callable[[Connection], D]
    write: Callable[[D, Path], None]
    filename: str
    media_type: str

    def run(self, conn: Connection, path: Path) -> None:
        """Both steps at once, for the command line (which has a connection of its own)."""
        self.write(self.collect(conn), path)


@dataclass(frozen=True)
class Clock:
    """The park's time zone and the moment of the export: 'today', 'overdue' and every
    date and time in a file follow the park's calendar, as the API's do."""

    timezone: str
    now: datetime

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.timezone)).date()

    def local(self, moment: datetime | None) -> datetime | None:
        """A stored instant as the park's wall-clock time (spreadsheets hold no offsets)."""
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)


def rows_of(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Rows of a statement in the driver's `%(name)s` style (every value bound)."""
    return list(conn.exec_driver_sql(sql, params).all())
