"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


class InvalidUSCC(ValueError):
    """The code is not a valid Unified Social Credit Code; the message says why."""


def normalise(code: str) -> str:
    return code.strip().upper()


def check_character(first17: str) -> str:
    """The 18th character for the given first 17."""
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code, or raise InvalidUSCC naming the problem."""
    value = normalise(code)
    if len(value) != LENGTH:
        raise InvalidUSCC(f"must be {LENGTH} characters, got {len(value)}")
    for position, char in enumerate(value, start=1):
        if char not in ALPHABET:
            raise InvalidUSCC(f"character {char!r} at position {position} is not allowed")
    if not value[2:8].isdigit():
        raise InvalidUSCC("positions 3-8 must be the 6-digit administrative division code")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidUSCC(f"check character is {value[17]!r}, expected {expected!r}")
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except InvalidUSCC:
        return False
    return True
