"""tenancy.owner_to_see says what check() (with a user_id match) asks, for every combination."""

from __future__ import annotations

import itertools

from agent_memory_server.errors import Forbidden
from agent_memory_server.services import tenancy
from agent_memory_server.services.tenancy import Principal

PRINCIPALS = [
    None,
    Principal("any"),
    Principal("ns", namespaces=frozenset({"a"})),
    Principal("user", user_id="u1"),
    Principal("both", namespaces=frozenset({"a", "b"}), user_id="u2"),
]


def _passes(namespace: str | None, user_id: str | None, owner: str | None) -> bool:
    """What the working-memory read does with a found session owned by `owner`."""
    try:
        tenancy.check(namespace=namespace, user_id=owner, what="session")
    except Forbidden:
        return False
    return user_id is None or owner == user_id


def test_owner_to_see_matches_check() -> None:
    for principal, namespace, user_id in itertools.product(
        PRINCIPALS, ["a", "b", None], [None, "u1", "u2"]
    ):
        with tenancy.acting_as(principal):
            readable, required = tenancy.owner_to_see(namespace=namespace, user_id=user_id)
            for owner in (None, "u1", "u2", "u3"):
                expected = _passes(namespace, user_id, owner)
                predicted = readable and (required is None or owner == required)
                assert predicted == expected, (principal, namespace, user_id, owner)
