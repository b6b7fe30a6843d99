"""The event log's writer, for the register's and the ledger's writes (defined in the kernel,
parkgrid.events, since the importer writes events too)."""

from __future__ import annotations

from parkgrid.events import APPEND, Change, act_as, append

__all__ = ["APPEND", "Change", "act_as", "append"]
