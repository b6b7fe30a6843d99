"""The schema as an artefact: its SDL as clients see it (descriptions and limits included),
and what changed between two versions of it, by graphql-core's own comparison
(`find_breaking_changes`, `find_dangerous_changes`) plus the additions it does not list.

`schema.graphql` at the repository's root is the SDL of the service with default settings;
`schema/released/<version>.graphql` keeps each release's, so the README's changelog can be
checked against what really changed since the last one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)
from strawberry.printer import print_schema

from parkgrid.settings import PROJECT_ROOT, ApiSettings
from schema import build_schema as build_service_schema
from schema import limit_rules

SDL_FILE = PROJECT_ROOT / "schema.graphql"
RELEASED = Path(__file__).parent / "released"
REGENERATE = "parkgrid schema > schema.graphql"


def service_sdl(api: ApiSettings | None = None) -> str:
    """The SDL the service serves with these settings (by default, those in force)."""
    api = api or ApiSettings()
    return print_schema(build_service_schema(api, limit_rules(api))) + "\n"


def released_versions() -> list[str]:
    """Released versions with a kept SDL, oldest first."""
    versions = [path.stem for path in RELEASED.glob("*.graphql")]
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


def released_sdl(version: str) -> str:
    return (RELEASED / f"{version}.graphql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Changes:
    """What changed from one SDL to the next, each as one line of text."""

    breaking: tuple[str, ...]
    dangerous: tuple[str, ...]
    added: tuple[str, ...]

    def lines(self) -> list[str]:
        sections = (("Breaking", self.breaking), ("Dangerous", self.dangerous),
                    ("Added", self.added))  # fmt: skip
        out = []
        for title, items in sections:
            out.append(f"{title}: {len(items)}")
            out.extend(f"- {item}" for item in items)
        return out


def members(kind: GraphQLNamedType) -> set[str]:
    """The coordinates a type declares: its fields and their arguments, input fields, enum
    values, union members."""
    found: set[str] = set()
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for name, field in kind.fields.items():
            found.add(f"{kind.name}.{name}")
            found.update(f"{kind.name}.{name}({argument})" for argument in field.args)
    elif isinstance(kind, GraphQLInputObjectType):
        found.update(f"{kind.name}.{name}" for name in kind.fields)
    elif isinstance(kind, GraphQLEnumType):
        found.update(f"{kind.name}.{name}" for name in kind.values)
    elif isinstance(kind, GraphQLUnionType):
        found.update(f"{kind.name} | {member.name}" for member in kind.types)
    return found


def added(before: GraphQLSchema, after: GraphQLSchema) -> list[str]:
    """New types, and what types that were there already gained."""
    found = []
    for name, kind in sorted(after.type_map.items()):
        old = before.type_map.get(name)
        if name.startswith("__"):
            continue
        if old is None:
            found.append(f"type {name}")
        else:
            found.extend(sorted(members(kind) - members(old)))
    return found


def changes(old: str, new: str) -> Changes:
    """What changed from the SDL `old` to `new`."""
    before, after = build_schema(old), build_schema(new)
    return Changes(
        breaking=tuple(sorted(c.description for c in find_breaking_changes(before, after))),
        dangerous=tuple(sorted(c.description for c in find_dangerous_changes(before, after))),
        added=tuple(added(before, after)),
    )
