"""`parkgrid persisted`: the documents persisted queries may name (the list an allowlist-mode
service runs), registered from `.graphql` files or from a manifest of hashes to documents
(GraphQL Code Generator's `persisted-documents.json`). Each document is checked against the
schema first, so the list holds only operations that can run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from graphql import GraphQLError, parse, specified_rules, validate

if TYPE_CHECKING:
    from web.cli_exports import Commands


def documents_in(path: Path) -> list[str]:
    """The documents a file holds: a manifest's values (each hash checked), else its text."""
    from parkgrid.persisted import digest

    text = path.read_text(encoding="utf-8")
    if path.suffix != ".json":
        return [text]
    manifest = orjson.loads(text)
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        raise ValueError("a manifest is a JSON object of SHA-256 hashes to documents")
    wrong = [key for key, document in manifest.items() if digest(document) != key]
    if wrong:
        raise ValueError(f"{wrong[0]} is not the SHA-256 of its document")
    return list(manifest.values())


def problems(document: str) -> list[str]:
    """Why the schema refuses the document (with the service's limits), if it does."""
    from parkgrid.settings import ApiSettings
    from schema import build_schema, limit_rules

    api = ApiSettings()
    rules = limit_rules(api)
    try:
        parsed = parse(document, max_tokens=api.max_tokens)
    except GraphQLError as error:
        return [error.message]
    found = validate(build_schema(api, rules)._schema, parsed, (*specified_rules, *rules))
    return [error.message for error in found]


def cmd_register(args: argparse.Namespace) -> int:
    from parkgrid.db import one_off
    from parkgrid.persisted import digest, register
    from web.cli import database_url

    try:
        documents = [d for name in args.files for d in documents_in(Path(name))]
    except (OSError, ValueError) as error:
        print(f"parkgrid: persisted register: {error}", file=sys.stderr)
        return 2
    refused = [(d, p) for d in documents if (p := problems(d))]
    for document, found in refused:
        print(f"parkgrid: persisted register: {digest(document)}: {found[0]}", file=sys.stderr)
    if refused:
        return 1
    with one_off(database_url()) as conn:
        added = sum(register(conn, document) for document in documents)
    print(f"{added} registered, {len(documents) - added} known already")
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    from parkgrid.db import one_off
    from parkgrid.persisted import listed
    from web.cli import database_url

    with one_off(database_url(), write=False) as conn:
        for sha256, registered_at, document in listed(conn):
            first = " ".join(document.split())[:60]
            print(f"{sha256}\t{registered_at.isoformat(timespec='seconds')}\t{first}")
    return 0


def add_persisted(commands: Commands) -> None:
    persisted = commands.add_parser(
        "persisted", help="the documents persisted queries name (the allowlist)"
    ).add_subparsers(required=True)
    register = persisted.add_parser(
        "register", help="register documents: .graphql files, or persisted-documents.json"
    )
    register.add_argument("files", nargs="+", metavar="FILE")
    register.set_defaults(handler=cmd_register)
    persisted.add_parser("list", help="hash, registered, start of each").set_defaults(
        handler=cmd_list
    )
