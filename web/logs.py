"""The service's log: one JSON object per line, by the standard library's logging.

The standard library rather than structlog: uvicorn, strawberry and the kernel already log
through `logging`, and one formatter (a dozen lines over orjson, already a dependency) turns
all of them into JSON lines; structlog would add a dependency and a second pipeline to
route those loggers through. A request's line carries the fields `web.observe` passes as
`extra`; an error's traceback goes only here, never to the client."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from parkgrid.settings import LogSettings

REQUEST_FIELDS = ("request_id", "method", "path", "route", "operation", "token_id", "role",
                  "status", "duration_ms", "statements", "client")  # fmt: skip
REQUESTS = "parkgrid.requests"


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the request's fields when given, and a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for name in REQUEST_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(line, default=str).decode()


def log_config(settings: LogSettings, access_log: bool) -> dict[str, Any]:
    """logging.config's dictionary for uvicorn (`log_config`): every worker applies it when
    it starts, so uvicorn's own lines, the kernel's and the requests' are all JSON."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    level = settings.level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"level": level},
            "uvicorn.access": {"level": level if access_log else "WARNING"},
            "parkgrid": {"level": level},
            REQUESTS: {"level": "INFO" if settings.requests else "WARNING"},
            "strawberry": {"level": level},
        },
    }
