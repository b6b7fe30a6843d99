"""The committed SDL is the schema the service runs, and the README's changelog lists every
breaking and dangerous change since the last release, as graphql-core finds them."""

from __future__ import annotations

import difflib
import os
import re

import pytest
from graphql import build_schema

from parkgrid.settings import PROJECT_ROOT, ApiSettings
from schema import artefact
from web.cli import main

README = PROJECT_ROOT / "README.md"
HOW = (
    "regenerate it with `parkgrid schema > schema.graphql`, then list what "
    "`parkgrid schema --changes` prints in README's 'Schema changelog'"
)


@pytest.fixture
def defaults(monkeypatch: pytest.MonkeyPatch) -> ApiSettings:
    """The API settings with nothing from the environment: the SDL is committed with these."""
    for name in list(os.environ):
        if name.upper().startswith("PARKGRID_API_"):
            monkeypatch.delenv(name)
    return ApiSettings()


def test_the_committed_sdl_is_the_running_schema(defaults: ApiSettings) -> None:
    running = artefact.service_sdl(defaults)
    committed = artefact.SDL_FILE.read_text(encoding="utf-8")
    if committed != running:
        diff = difflib.unified_diff(
            committed.splitlines(), running.splitlines(), "schema.graphql", "running", lineterm=""
        )
        pytest.fail(f"schema.graphql differs from the running schema; {HOW}:\n"
                    + "\n".join(list(diff)[:60]))  # fmt: skip


def test_the_command_prints_the_sdl(
    defaults: ApiSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == artefact.service_sdl(defaults)
    parsed = build_schema(printed)  # a second reader: graphql-core's SDL parser
    assert parsed.query_type is not None and parsed.query_type.fields["park"].description


def changelog_section(version: str) -> str:
    """The README's changelog entry for the changes since `version`."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Schema changelog")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else None]
    entry = re.search(rf"### [^\n]*since {re.escape(version)}\b.*?(?=\n### |\Z)", section, re.S)
    assert entry, f"README's 'Schema changelog' has no entry of the changes since {version}"
    return entry.group(0)


def listed(entry: str, heading: str) -> list[str]:
    """The bullets under `**heading**` in a changelog entry."""
    block = re.search(rf"\*\*{heading}\*\*[^\n]*\n((?:- [^\n]*\n?)*)", entry)
    return [line[2:].strip() for line in block.group(1).splitlines()] if block else []


def test_the_changelog_lists_every_breaking_and_dangerous_change(defaults: ApiSettings) -> None:
    version = artefact.released_versions()[-1]
    found = artefact.changes(artefact.released_sdl(version), artefact.service_sdl(defaults))
    entry = changelog_section(version)
    for heading, changes in (("Breaking", found.breaking), ("Dangerous", found.dangerous)):
        bullets = listed(entry, heading)
        missing = [c for c in changes if not any(c in bullet for bullet in bullets)]
        assert not missing, f"{heading} changes since {version} not in README: {missing}; {HOW}"
        extra = [b for b in bullets if not any(c in b for c in changes) and b != "none"]
        assert not extra, f"README lists {heading.lower()} changes there are not: {extra}"


SDL = """
type Query { park(code: String!): Park  parks: [Park!]! }
type Park { code: String! name: String! }
enum Kind { A B }
"""


def test_changes_are_found_as_graphql_core_finds_them() -> None:
    """The comparison can fail: a removed field breaks, a new enum value is dangerous (a
    client's switch may not know it), new fields and types are added."""
    after = SDL.replace("name: String!", "title: String").replace("B }", "B C }")
    found = artefact.changes(SDL, after + "type Zone { code: String! }")
    assert found.breaking == ("Field Park.name was removed.",)
    assert found.dangerous == ("Enum value Kind.C was added.",)
    assert found.added == ("Kind.C", "Park.title", "type Zone")
