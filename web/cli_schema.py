"""`parkgrid schema`: the GraphQL schema as SDL, and what changed since a release."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from web.cli_exports import Commands


def cmd_schema(args: argparse.Namespace) -> int:
    from schema import artefact

    if args.errors:
        from web import app  # noqa: F401  (every module that defines an error code)
        from web.error_codes import markdown

        print(markdown())
        return 0
    current = artefact.service_sdl()
    if args.changes is None:
        print(current, end="")
        return 0
    versions = artefact.released_versions()
    version = args.changes or versions[-1]
    if version not in versions:
        print(f"parkgrid: schema: no released SDL for {version} ({', '.join(versions)})")
        return 2
    print(f"Changes since {version}:")
    print("\n".join(artefact.changes(artefact.released_sdl(version), current).lines()))
    return 0


def add_schema(commands: Commands) -> None:
    schema = commands.add_parser(
        "schema", help="print the GraphQL schema (SDL) as the service serves it"
    )
    schema.add_argument(
        "--changes", nargs="?", const="", metavar="VERSION",
        help="instead, list breaking, dangerous and added changes since a release (default:"
        " the latest in schema/released)",
    )  # fmt: skip
    schema.add_argument(
        "--errors", action="store_true",
        help="instead, print every extensions.code with its meaning and HTTP statuses (Markdown)",
    )  # fmt: skip
    schema.set_defaults(handler=cmd_schema)
