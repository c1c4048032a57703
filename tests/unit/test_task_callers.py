"""Every task takes the caller that queued it (services/scheduler.py sends `caller` with each)."""

from __future__ import annotations

import inspect

from agent_memory_server.services import tenancy
from agent_memory_server.services.tenancy import Principal
from agent_memory_server.tasks.collection import TASKS


def test_every_task_accepts_its_caller() -> None:
    for task in TASKS:
        parameter = inspect.signature(task).parameters.get("caller")
        assert parameter is not None and parameter.default is None, task.__name__


def test_a_principal_travels_as_plain_data() -> None:
    for principal in [
        None,
        Principal("admin"),
        Principal("a", namespaces=frozenset({"x", "y"})),
        Principal("u", user_id="alice"),
        Principal("both", namespaces=frozenset({"x"}), user_id="alice"),
    ]:
        assert tenancy.from_wire(tenancy.to_wire(principal)) == principal
