"""Settings read from the environment, one class per concern, built by the caller."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


def listed(value: object) -> object:
    """A list from the environment: comma-separated (`a, b`) or JSON (`["a", "b"]`)."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, str):
        return json.loads(value)
    return value


def checked_public_url(url: str | None) -> str | None:
    """An http(s) base URL, kept without its trailing slash (links append `/tiles/...`)."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an http(s) base URL without query or fragment")
    return url.rstrip("/")


def checked_origins(origins: list[str]) -> list[str]:
    """Exact origins (`scheme://host[:port]`): a browser sends nothing else in `Origin`."""
    found = [origin.strip().lower() for origin in origins]
    for origin in found:
        parts = urlsplit(origin)
        exact = parts.scheme in ("http", "https") and parts.netloc and "*" not in origin
        if not exact or f"{parts.scheme}://{parts.netloc}" != origin:
            raise ValueError(f"{origin!r} is not an origin such as https://park.example.com")
    return found


def bare_hosts(hosts: list[str]) -> list[str]:
    return [host.strip().strip("[]").lower() for host in hosts]


HostList = Annotated[list[str], NoDecode, BeforeValidator(listed), AfterValidator(bare_hosts)]
OriginList = Annotated[
    list[str], NoDecode, BeforeValidator(listed), AfterValidator(checked_origins)
]


class ServerSettings(BaseSettings):
    """Where the HTTP server listens, the URL it is known by, and who may call it from a
    browser on another origin."""

    model_config = SettingsConfigDict(populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "PARKGRID_HOST"))
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "PARKGRID_PORT"))
    workers: int = Field(default=1, ge=1, validation_alias="PARKGRID_WORKERS")
    access_log: bool = Field(default=False, validation_alias="PARKGRID_ACCESS_LOG")
    public_url: Annotated[str | None, AfterValidator(checked_public_url)] = Field(
        default=None,
        validation_alias="PARKGRID_PUBLIC_URL",
        description="Base of every absolute link (TileJSON, OGC), e.g. behind a proxy.",
    )
    trusted_hosts: HostList = Field(
        default_factory=lambda: ["localhost", "127.0.0.1"],
        validation_alias="PARKGRID_TRUSTED_HOSTS",
        description="Host headers links may name (besides `host`); others get `host:port`.",
    )
    cors_origins: OriginList = Field(
        default_factory=list,
        validation_alias="PARKGRID_CORS_ORIGINS",
        description="Browser origins allowed to call /graphql, /tiles and /ogc (none: no CORS).",
    )
    cors_credentials: bool = Field(default=False, validation_alias="PARKGRID_CORS_CREDENTIALS")


class ApiSettings(BaseSettings):
    """Limits and defaults of the GraphQL API."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_API_")

    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5_000, ge=1)
    max_introspection_depth: int = Field(
        default=16, ge=1, description="Depth of an introspection query (GraphiQL's needs 14)."
    )
    introspection: bool = Field(
        default=True, description="Answer __schema and __type queries (off in production)."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="A request body's size.")
    max_upload_bytes: int = Field(
        default=50 * 1_048_576, ge=1,
        description="A multipart request's size (a file upload, with its envelope).",
    )  # fmt: skip
    max_name_length: int = Field(
        default=200, ge=1, description="Characters in a name, title, address or search text."
    )
    max_text_length: int = Field(default=2_000, ge=1, description="Characters in a note.")
    max_string_length: int = Field(
        default=1_000, ge=1, description="Characters in any other string (codes, ids, cursors)."
    )
    max_list_length: int = Field(default=1_000, ge=1, description="Items in a list argument.")
    graphiql: bool = True
    fast_path: bool = Field(
        default=True, description="Answer requests of the common shapes with one SQL statement."
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Due dates and 'overdue' follow this time zone."
    )
    overdue_check: bool = Field(
        default=True,
        description="Announce, just after each midnight of that time zone, the issues that"
        " became overdue (off: this process leaves it to the others).",
    )
    tile_cache_mb: float = Field(
        default=64, ge=0, description="Vector tiles kept per process (0: none)."
    )
    max_polygon_vertices: int = Field(
        default=10_000, ge=4,
        description="Most positions a GeoJSON geometry in a request may have (filter shapes,"
        " boundaries; every ring and part, closing positions included); more is"
        " INVALID_GEOMETRY before any SQL runs.",
    )  # fmt: skip
    persisted_queries: Literal["auto", "allowlist", "off"] = Field(
        default="auto",
        description="auto: Apollo's automatic persisted queries (a client registers a document"
        " by sending it with its hash); allowlist: only documents registered with `parkgrid"
        " persisted register` run; off: hashes are refused (PERSISTED_QUERY_NOT_SUPPORTED).",
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
    records_begin: date = Field(
        default=date(2000, 1, 1), description="No visit is logged before this day."
    )
    visit_ahead_minutes: int = Field(
        default=15, ge=0, description="How far in the future a visit may be (phones' clocks)."
    )

    def visit_window(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest moments a visit may be logged at."""
        earliest = datetime.combine(self.records_begin, time(), tzinfo=UTC)
        return earliest, now + timedelta(minutes=self.visit_ahead_minutes)

    def due_in_days(self, category: str, severity: str) -> int:
        return due_in_days(category, severity, self.deadline_days, self.urgent_hazard_days)


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and pin the psycopg2 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogSettings(BaseSettings):
    """The service's own log: one JSON object per line on standard error (web.logs)."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_LOG_")

    level: Annotated[str, AfterValidator(str.upper)] = Field(
        default="INFO", pattern="(?i)^(debug|info|warning|error|critical)$"
    )
    requests: bool = Field(default=True, description="One line per HTTP request answered.")


class MetricsSettings(BaseSettings):
    """Who may read /metrics, and where (web.metrics)."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_METRICS_")

    enabled: bool = True
    allow: HostList = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses or networks (CIDR) that may scrape without a token.",
    )
    token: str | None = Field(
        default=None, min_length=16, description="A bearer token that may scrape from anywhere."
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Serve /metrics on this port only."
    )


def tile_template(url: str | None) -> str | None:
    """An XYZ template ({z}, {x}, {y}; a WMTS KVP or REST URL written with them for TileMatrix,
    TileCol and TileRow) on http(s)."""
    if url is None:
        return None
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
    if missing or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(
            f"an http(s) tile URL template with {{z}}, {{x}} and {{y}}; missing {missing}"
        )
    return url


class MapSettings(BaseSettings):
    """The /map page's base map (web.routes.map): none by default, so the page works offline."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_MAP_")

    basemap_url: Annotated[str | None, AfterValidator(tile_template)] = Field(
        default=None,
        description="A raster tile URL template drawn under the park; none: no base map.",
    )
    basemap_attribution: str = Field(
        default="", max_length=500, description="Who the base map is from, shown on the map."
    )
    basemap_datum: Literal["WGS84", "GCJ02"] = Field(
        default="WGS84",
        description="The datum the tiles are drawn in: GCJ02 (most Chinese commercial maps) is "
        "not drawn, since it does not align with the park's WGS 84 data.",
    )


RATE_CLASSES = ("graphql", "mutations", "tiles", "ogc", "exports")


class RateLimitSettings(BaseSettings):
    """Requests per window a token (or, without one, an address) may make per route class,
    counted in PostgreSQL so every worker and instance shares the count (web.ratelimit)."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_RATE_")

    limits: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Requests per window per route class (JSON); a class left out, or 0, is"
        " not limited.",
    )
    window_s: int = Field(default=60, ge=1, le=3600)

    def limit(self, route_class: str) -> int:
        return self.limits.get(route_class, 0)

    def model_post_init(self, _: object) -> None:
        unknown = sorted(set(self.limits) - set(RATE_CLASSES))
        if unknown:
            raise ValueError(f"PARKGRID_RATE_LIMITS: no route class {unknown[0]!r};"
                             f" classes: {', '.join(RATE_CLASSES)}")  # fmt: skip


class ScaleSettings(BaseSettings):
    """Streaming replicas for reads, read-your-writes, and running behind a pooler."""

    model_config = SettingsConfigDict(env_prefix="PARKGRID_DB_", populate_by_name=True)

    replica_urls: Annotated[list[str], NoDecode, BeforeValidator(listed)] = Field(
        default_factory=list,
        validation_alias=AliasChoices("DATABASE_REPLICA_URLS", "PARKGRID_DB_REPLICA_URLS"),
        description="Streaming replicas that serve reads (comma-separated or JSON).",
    )
    listen_url: str | None = Field(
        default=None,
        description="The primary itself, for LISTEN, when DATABASE_URL is a pooler in"
        " transaction mode (unset: DATABASE_URL).",
    )
    max_lag_s: float = Field(
        default=5.0, gt=0, description="A replica further behind than this leaves rotation."
    )
    check_interval_s: float = Field(
        default=0.5, gt=0, description="How often each database's role and lag are read."
    )
    catch_up_wait_ms: int = Field(
        default=50, ge=0,
        description="How long a read waits for a replica to reach its caller's last write"
        " before it is read from the primary.",
    )  # fmt: skip
    prepare: bool = Field(
        default=True, description="Server-side PREPARE per connection (off behind a pooler)."
    )
    session_options: bool = Field(
        default=True,
        description="Send the session settings at connect (off behind a pooler, which"
        " sets them with its connect_query instead).",
    )
