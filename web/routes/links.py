"""Absolute links (TileJSON tile URLs, OGC API links) from configuration, never from a Host
header the service does not know.

A client chooses its Host header. Echoed into links, it lets anyone who can reach the service,
or poison a cache in front of it, send other people's map and GIS clients to a host of their
choosing, with their tokens. So links start with `PARKGRID_PUBLIC_URL` when it is set (the
address users know, a proxy's path prefix included); otherwise with the request's Host only
when that host is trusted (`PARKGRID_TRUSTED_HOSTS`, and the server's own `HOST`), else with
the server's own `HOST:PORT`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from starlette.requests import HTTPConnection
from starlette.types import Scope

from parkgrid.settings import ServerSettings

PATH_SAFE = "/:@!$&'()*+,;="  # RFC 3986 pchar and "/", as sent; the rest percent-encoded
HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?")


def app_path(scope: Scope) -> str:
    """The request's path below the app's mount point (ASGI paths include `root_path`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def replaced(
    params: list[tuple[str, str]], replace: Mapping[str, str | int]
) -> list[tuple[str, str]]:
    """`params` with each name in `replace` given once, at its first place or at the end."""
    found: list[tuple[str, str]] = []
    done: set[str] = set()
    for name, value in params:
        if name not in replace:
            found.append((name, value))
        elif name not in done:
            found.append((name, str(replace[name])))
            done.add(name)
    return found + [(name, str(value)) for name, value in replace.items() if name not in done]


def authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class PublicLinks:
    """Builds every absolute link the routes send."""

    public_url: str | None
    trusted_hosts: frozenset[str]
    own: str

    @classmethod
    def of(cls, server: ServerSettings | None = None) -> PublicLinks:
        """Read once when the routes are made; the server's own host is always trusted."""
        settings = server or ServerSettings()
        trusted = {*settings.trusted_hosts, settings.host.strip("[]").lower()}
        return cls(settings.public_url, frozenset(trusted), authority(settings.host, settings.port))

    def host(self, connection: HTTPConnection) -> str:
        """The Host header when it is well formed and its name trusted, else our own."""
        claimed = connection.headers.get("host", "").lower()
        found = HOST_HEADER.fullmatch(claimed)
        if found is not None and found["name"].strip("[]") in self.trusted_hosts:
            return claimed
        return self.own

    def base(self, connection: HTTPConnection) -> str:
        """The app's root URL, without a trailing slash."""
        if self.public_url is not None:
            return self.public_url
        root = connection.scope.get("root_path", "")
        return f"{connection.url.scheme}://{self.host(connection)}{root}"

    def here(self, connection: HTTPConnection, **replace: str | int) -> str:
        """This request's URL from `base`, its query kept in order, `replace`'s values put in
        place of (or after) the parameters of those names."""
        query = connection.url.query
        if replace:
            query = urlencode(replaced(connection.query_params.multi_items(), replace))
        url = self.base(connection) + quote(app_path(connection.scope), safe=PATH_SAFE)
        return f"{url}?{query}" if query else url
