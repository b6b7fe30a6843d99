"""parkgrid: a GraphQL service with a zone-grid model for industrial parks."""

from __future__ import annotations

__version__ = "0.1.0"
