"""Who is calling, and what they may see: the tenant rule every service applies.

A door (REST, MCP over HTTP) authenticates the caller and runs the service call inside
`acting_as(principal)`; services ask this module before they read or write. A principal may
be bound to namespaces and/or one user id; unbound dimensions are free. With no principal
(auth off, the CLI) nothing is confined. Background work runs as the caller that queued it:
the scheduler sends `to_wire(current())` with each task and the task runs under `from_wire`.

The rules:
- a single object (record, session) of another tenant is answered as one that does not
  exist (404): an id alone tells a stranger nothing (`allowed`);
- a search or listing: confined to the caller's tenants (so another tenant's filter finds
  nothing);
- a write or a scoped operation that names no namespace or user: the caller's own, when it
  is bound to exactly one; naming another tenant's: Forbidden (`check`, whose message names
  only what the caller named);
- a write that would replace another tenant's object (an id it holds): Forbidden, without
  naming the owner (`check_replace`);
- server-wide objects (summary views, their tasks): unbound callers only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

from redisvl.query.filter import FilterExpression, Tag

from agent_memory_server.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a token's name or a JWT's subject, and its bindings."""

    name: str
    namespaces: frozenset[str] | None = None  # None: any namespace
    user_id: str | None = None  # None: any user

    def __post_init__(self) -> None:
        if self.namespaces is not None and not self.namespaces:
            raise ValueError("a principal bound to namespaces needs at least one")

    @property
    def bound(self) -> bool:
        return self.namespaces is not None or self.user_id is not None


_current: ContextVar[Principal | None] = ContextVar("agent_memory_principal", default=None)


def current() -> Principal | None:
    return _current.get()


def to_wire(principal: Principal | None) -> dict[str, Any] | None:
    """The principal as plain data, to travel with a queued task (None: unconfined)."""
    if principal is None:
        return None
    namespaces = None if principal.namespaces is None else sorted(principal.namespaces)
    return {"name": principal.name, "namespaces": namespaces, "user_id": principal.user_id}


def from_wire(wire: dict[str, Any] | None) -> Principal | None:
    """The principal `to_wire` sent (None: unconfined)."""
    if wire is None:
        return None
    namespaces = wire.get("namespaces")
    return Principal(
        name=str(wire["name"]),
        namespaces=None if namespaces is None else frozenset(namespaces),
        user_id=wire.get("user_id"),
    )


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Run the enclosed service calls as `principal` (None: unconfined)."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


def _describe(namespace: str | None, user_id: str | None) -> str:
    return f"namespace {namespace!r}, user {user_id!r}"


def allowed(*, namespace: str | None, user_id: str | None) -> bool:
    """May the caller see an object of this namespace and user?"""
    p = current()
    if p is None:
        return True
    if p.namespaces is not None and namespace not in p.namespaces:
        return False
    return p.user_id is None or user_id == p.user_id


def check(*, namespace: str | None, user_id: str | None, what: str) -> None:
    """Forbidden unless the caller's credentials cover the tenant it named for `what`."""
    if not allowed(namespace=namespace, user_id=user_id):
        p = current()
        assert p is not None
        raise Forbidden(
            f"{what}: {_describe(namespace, user_id)} is not covered by the credentials of "
            f"{p.name!r}"
        )


def check_replace(*, namespace: str | None, user_id: str | None, what: str) -> None:
    """Forbidden unless the caller may replace a stored `what` of this tenant; the message
    does not name the owner."""
    if not allowed(namespace=namespace, user_id=user_id):
        refuse_replace(what)


def refuse_replace(what: str) -> NoReturn:
    """The Forbidden of `check_replace` (a stored object's tenant, found by a script)."""
    p = current()
    assert p is not None
    raise Forbidden(f"{what} cannot be written with the credentials of {p.name!r}")


def owner_to_see(*, namespace: str | None, user_id: str | None) -> tuple[bool, str | None]:
    """What `check`, and a match on `user_id` when given, ask of an object of `namespace`:
    whether one can pass at all, and the user it must belong to (None: any)."""
    p = current()
    owners = {u for u in (user_id, None if p is None else p.user_id) if u is not None}
    if len(owners) > 1 or (
        p is not None and p.namespaces is not None and namespace not in p.namespaces
    ):
        return False, None
    return True, next(iter(owners), None)


def own(*, namespace: str | None, user_id: str | None) -> tuple[str | None, str | None]:
    """The namespace and user of a write or scoped operation: defaults from a bound caller.

    A caller bound to one namespace (or user) gets it when none is named.
    """
    p = current()
    if p is None:
        return namespace, user_id
    if namespace is None and p.namespaces is not None and len(p.namespaces) == 1:
        (namespace,) = p.namespaces
    if user_id is None and p.user_id is not None:
        user_id = p.user_id
    return namespace, user_id


def scope(
    *, namespace: str | None, user_id: str | None, what: str
) -> tuple[str | None, str | None]:
    """`own`, then checked: a bound caller's scope must name its own tenant."""
    namespace, user_id = own(namespace=namespace, user_id=user_id)
    p = current()
    if p is not None and p.namespaces is not None and namespace is None:
        raise Forbidden(f"{what}: name one of your namespaces ({', '.join(sorted(p.namespaces))})")
    check(namespace=namespace, user_id=user_id, what=what)
    return namespace, user_id


def confine(where: FilterExpression | None) -> FilterExpression | None:
    """A search filter ANDed with the caller's tenants (unchanged for unconfined callers)."""
    p = current()
    if p is None:
        return where
    parts = [] if where is None else [where]
    if p.namespaces is not None:
        parts.append(Tag("namespace") == sorted(p.namespaces))
    if p.user_id is not None:
        parts.append(Tag("user_id") == p.user_id)
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part
    return combined


def namespaces_to_list(*, namespace: str | None) -> Sequence[str] | None:
    """The namespaces a listing may cover: the named one, or all of a bound caller's.

    An empty list when the named one is not the caller's (the listing is empty).
    """
    p = current()
    if p is None or p.namespaces is None:
        return None if namespace is None else [namespace]
    if namespace is None:
        return sorted(p.namespaces)
    return [namespace] if namespace in p.namespaces else []


def require_unbound(what: str) -> None:
    """Server-wide objects are for callers not bound to a tenant."""
    p = current()
    if p is not None and p.bound:
        raise Forbidden(f"{what} are server-wide: credentials bound to a tenant cannot use them")
