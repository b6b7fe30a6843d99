"""The demo park's party organisations: about a sixth of the firms with a branch of their own
(two of them new this year), half again in joint branches, the rest with none."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

OWN_SHARE, JOINT_SHARE = 0.18, 0.34
NEW_BRANCHES = 2


def established(rng: random.Random, today: date, new: bool) -> date:
    days = rng.randint(30, 330) if new else rng.randint(400, 6000)
    return today - timedelta(days=days)


def organisation(
    enterprise_id: int, kind: str, rng: random.Random, today: date, new: bool
) -> dict[str, Any]:
    if kind == "none":
        return {"enterprise_id": enterprise_id, "kind": kind, "established": None, "members": 0}
    members = rng.randint(3, 28) if kind == "own_branch" else rng.randint(1, 2)
    founded = established(rng, today, new)
    return {"enterprise_id": enterprise_id, "kind": kind, "established": founded,
            "members": members}  # fmt: skip


def organisations(enterprise_ids: list[int], today: date, seed: int) -> list[dict[str, Any]]:
    """One record per enterprise; a separate random stream, so other demo figures stay put."""
    rng = random.Random(seed)
    order = rng.sample(enterprise_ids, len(enterprise_ids))
    own = round(len(order) * OWN_SHARE)
    joint = round(len(order) * JOINT_SHARE)
    kinds = {eid: "own_branch" for eid in order[:own]}
    kinds |= {eid: "joint_branch" for eid in order[own : own + joint]}
    new = set(order[:NEW_BRANCHES])
    return [
        organisation(eid, kinds.get(eid, "none"), rng, today, eid in new) for eid in enterprise_ids
    ]
