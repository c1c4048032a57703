"""Redis keys of summary views, their stored partition results and their run tasks.

Kept apart from storage/keys.py so that summary views can change without touching it. Every key
lives under `<prefix>:sv:`, outside the prefixes of the working-memory and long-term indexes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from agent_memory_server.storage.keys import Keys, _part


def views(keys: Keys) -> str:
    """Set of the ids of every summary view."""
    return f"{keys.prefix}:sv:views"


def view(keys: Keys, view_id: str) -> str:
    """JSON document of one view's definition."""
    return f"{keys.prefix}:sv:view:{_part(view_id)}"


def partition_digest(group: Mapping[str, str]) -> str:
    """Stable id of a partition: the same group values always give the same digest."""
    canonical = json.dumps(sorted(group.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def partitions(keys: Keys, view_id: str) -> str:
    """Set of the partition digests stored for a view."""
    return f"{keys.prefix}:sv:parts:{_part(view_id)}"


def partition(keys: Keys, view_id: str, digest: str) -> str:
    """JSON document of one partition's result."""
    return f"{keys.prefix}:sv:part:{_part(view_id)}:{digest}"


def task(keys: Keys, task_id: str) -> str:
    """JSON document of one background task (a full run of a view)."""
    return f"{keys.prefix}:sv:task:{_part(task_id)}"
