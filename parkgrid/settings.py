"""Settings read from the environment, one class per concern, built by the caller."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLUSTER_PORT = 54329


class ClusterSettings(BaseSettings):
    """The private PostgreSQL cluster used when no DATABASE_URL is given."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_CLUSTER_")

    data_dir: Path = PROJECT_ROOT / ".data"
    port: int | None = Field(
        default=None, description="Fixed port; unset, the cluster keeps the one chosen at start."
    )
    database: str = "parkgrid"
    superuser: str = "parkgrid"
    os_user: str = "postgres"

    @property
    def pgdata(self) -> Path:
        """The cluster's directory: .data/pg, or where .data/pg.location points."""
        pointer = self.data_dir / "pg.location"
        if pointer.exists():
            return Path(pointer.read_text().strip())
        return self.data_dir / "pg"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "pg.port"

    @property
    def chosen_port(self) -> int:
        """The fixed port, else the one recorded when the cluster was first started here."""
        if self.port is not None:
            return self.port
        if self.port_file.exists():
            return int(self.port_file.read_text())
        return DEFAULT_CLUSTER_PORT

    @property
    def url(self) -> str:
        port = self.chosen_port
        return f"postgresql+psycopg2://{self.superuser}@127.0.0.1:{port}/{self.database}"


class DatabaseSettings(BaseSettings):
    """Which server to use and how many connections to keep."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_DB_", populate_by_name=True)

    url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PARKGRID_DB_URL")
    )
    pool_size: int = Field(default=8, ge=1, le=64)
    statement_timeout_ms: int = Field(default=15_000, ge=0)

    def resolved_url(self) -> str:
        return normalise_url(self.url or ClusterSettings().url)


class ServerSettings(BaseSettings):
    """Where the HTTP server listens."""

    model_config = SettingsConfigDict(populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "PARKGRID_HOST"))
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "PARKGRID_PORT"))
    workers: int = Field(default=1, ge=1, validation_alias="PARKGRID_WORKERS")
    access_log: bool = Field(default=False, validation_alias="PARKGRID_ACCESS_LOG")


class ApiSettings(BaseSettings):
    """Limits and defaults of the GraphQL API."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_API_")

    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5_000, ge=1)
    graphiql: bool = True
    fast_path: bool = Field(
        default=True, description="Answer requests of the common shapes with one SQL statement."
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Due dates and 'overdue' follow this time zone."
    )
    tile_cache_mb: float = Field(
        default=64, ge=0, description="Vector tiles kept per process (0: none)."
    )


DEADLINE_DAYS = {
    "recruitment": 30,
    "permits": 20,
    "construction": 90,
    "financing": 45,
    "infrastructure": 120,
    "safety_hazard": 15,
    "talent": 30,
    "policy": 10,
    "party_building": 30,
    "other": 30,
}


URGENT_HAZARD_DAYS = 7


def due_in_days(category: str, severity: str, deadlines: dict[str, int], urgent: int) -> int:
    """Days to the due date: the category's deadline, or the urgent rectification deadline
    of a high or critical safety hazard."""
    if category == "safety_hazard" and severity in {"high", "critical"}:
        return urgent
    return deadlines.get(category, 30)


class LedgerSettings(BaseSettings):
    """Deadlines of the issue ledger (PARKGRID_LEDGER_DEADLINE_DAYS as JSON to change them)."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_LEDGER_")

    deadline_days: dict[str, int] = Field(default_factory=lambda: dict(DEADLINE_DAYS))
    urgent_hazard_days: int = Field(
        default=URGENT_HAZARD_DAYS, ge=1, description="Deadline of high and critical hazards."
    )
    check_in_tolerance_m: float = Field(
        default=500.0, ge=0, description="A visit checked in farther away is flagged."
    )
    hard_case_days: int = Field(default=60, ge=1)

    def due_in_days(self, category: str, severity: str) -> int:
        return due_in_days(category, severity, self.deadline_days, self.urgent_hazard_days)


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and pin the psycopg2 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url
