"""Unified Social Credit Codes: the Python check and the database check agree."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from parkgrid import uscc

GOOD = ["91512081MA62K0260E", "91350200776049653A", "91440101MA5CJQ4N59"]


@pytest.mark.parametrize("code", GOOD)
def test_published_codes_pass(code: str) -> None:
    assert uscc.validate(code) == code


def test_lower_case_and_spaces_are_normalised() -> None:
    assert uscc.validate(" 91512081ma62k0260e ") == "91512081MA62K0260E"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91512081MA62K0260F", "check character is 'F', expected 'E'"),
        ("91512081MA62K0260", "must be 18 characters, got 17"),
        ("91512081MA62K0260EE", "must be 18 characters, got 19"),
        ("91512081MI62K0260E", "character 'I' at position 10 is not allowed"),
        ("9151208OMA62K0260E", "character 'O' at position 8 is not allowed"),
        ("91A12081MA62K0260E", "positions 3-8 must be the 6-digit administrative division code"),
    ],
)
def test_bad_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(uscc.InvalidUSCC, match=reason.replace("(", r"\(")):
        uscc.validate(code)


def random_codes(count: int) -> list[str]:
    rng = random.Random(7)
    codes = []
    for _ in range(count):
        body = "91430624" + "".join(rng.choice(uscc.ALPHABET) for _ in range(9))
        good = body + uscc.check_character(body)
        codes += [good, body + rng.choice(uscc.ALPHABET.replace(good[-1], ""))]
    return codes


def test_database_check_agrees_with_python(empty_url: str, engine_for) -> None:
    codes = random_codes(200) + GOOD + ["91512081MA62K0260e", "", "X" * 18]
    with engine_for(empty_url).connect() as conn:
        verdicts = conn.execute(
            text("SELECT c, parkgrid_uscc_valid(c) FROM unnest(CAST(:codes AS text[])) AS c"),
            {"codes": codes},
        ).all()
    assert {code: ok for code, ok in verdicts} == {
        code: uscc.is_valid(code) and code == code.upper() for code in codes
    }
    assert sum(ok for _, ok in verdicts) == 203
