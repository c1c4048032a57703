"""Every Redis key, prefix and index name the server uses, built in one place.

tests/unit/test_keys_and_config.py pins each of them: a key that changes is a migration.

On a Redis Cluster (`Keys(prefix, cluster=True)`), keys that one transaction, Lua script,
multi-key command or search index must see together share a hash tag, so that they live in one
slot: `{<prefix>:wm}` (working memory and its index), `{<prefix>:ltm:<namespace>}` (one
namespace's long-term records, their access statistics, dedup pointers and its own index:
long-term memory is sharded by namespace, see docs/design.md), `{<prefix>:auth}` (API tokens
and their id index), `{<prefix>:sv}` (summary views, partitions, tasks). On a single server the
keys stay as they were (no tags, one long-term index): existing data needs no migration and
nothing changes in speed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass


def _part(value: str) -> str:
    """Escape a key component so that ':' inside ids cannot collide with the separator."""
    return value.replace("%", "%25").replace(":", "%3A")


def _owner(namespace: str | None, user_id: str | None) -> str:
    """The owner segment of a key: namespace and user, '-' for none."""
    ns = "-" if namespace is None else "n" + _part(namespace)
    user = "-" if user_id is None else "u" + _part(user_id)
    return f"{ns}:{user}"


def namespace_marker(namespace: str | None) -> str:
    """A namespace as one key segment: 'n' + escaped name, '-' for none."""
    return "-" if namespace is None else "n" + _part(namespace)


def partition_digest(group: Mapping[str, str]) -> str:
    """Stable id of a summary view's partition: the same group values give the same digest."""
    canonical = json.dumps(sorted(group.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Keys:
    """Key builder bound to one prefix (one deployment, or one test)."""

    prefix: str
    cluster: bool = False

    def _group(self, kind: str, group: str) -> str:
        """`<prefix>:<kind>`, followed on a cluster by the hash tag of its group."""
        base = f"{self.prefix}:{kind}"
        return f"{base}:{{{self.prefix}:{group}}}" if self.cluster else base

    @property
    def working_memory_prefix(self) -> str:
        return f"{self._group('wm', 'wm')}:"

    @property
    def working_memory_index(self) -> str:
        return self._group("wm_idx", "wm")

    def working_memory(self, namespace: str | None, session_id: str) -> str:
        """JSON document of one session; the namespace is part of its identity."""
        ns = "-" if namespace is None else "n" + _part(namespace)
        return f"{self.working_memory_prefix}{ns}:{_part(session_id)}"

    def summarization_task(self, namespace: str | None, session_id: str) -> str:
        """Docket task key: one pending summarization per session."""
        ns = "-" if namespace is None else "n" + _part(namespace)
        return f"{self.prefix}:summarize:{ns}:{_part(session_id)}"

    def session_queued(
        self, namespace: str | None, user_id: str | None, session_id: str, caller: str | None
    ) -> str:
        """Marker: a processing task of this session and owner, queued by this caller (a
        principal's name; None: unconfined), is queued and has not started."""
        by = "-" if caller is None else "c" + _part(caller)
        owner = _owner(namespace, user_id)  # in the session's slot: set in its write's MULTI
        return f"{self._group('wm_queued', 'wm')}:{owner}:{_part(session_id)}:{by}"

    @property
    def long_term_prefix(self) -> str:
        return f"{self._group('ltm', 'ltm')}:"

    @property
    def long_term_index(self) -> str:
        return self._group("ltm_idx", "ltm")

    def long_term(self, memory_id: str) -> str:
        return f"{self.long_term_prefix}{_part(memory_id)}"

    @property
    def long_term_access_prefix(self) -> str:
        return f"{self._group('ltm_access', 'ltm')}:"

    def long_term_access(self, memory_id: str) -> str:
        """Unindexed access statistics of a record (last_accessed, access_count)."""
        return f"{self.long_term_access_prefix}{_part(memory_id)}"

    def memory_hash(self, namespace: str | None, user_id: str | None, digest: str) -> str:
        """Content-hash dedup pointer: (namespace, user, hash of text) -> record id."""
        group = f"ltm:{namespace_marker(namespace)}"
        return f"{self._group('ltm_hash', group)}:{_owner(namespace, user_id)}:{digest}"

    # Long-term memory on a cluster: one hash tag, one index per namespace (its "marker").

    def shard_prefix(self, marker: str) -> str:
        """Prefix of the records of one namespace (cluster layout)."""
        return f"{self._group('ltm', 'ltm:' + marker)}:"

    def shard_index(self, marker: str) -> str:
        """The index of one namespace's records (cluster layout)."""
        return self._group("ltm_idx", "ltm:" + marker)

    def shard_record(self, marker: str, memory_id: str) -> str:
        return f"{self.shard_prefix(marker)}{_part(memory_id)}"

    def shard_access(self, marker: str, memory_id: str) -> str:
        return f"{self._group('ltm_access', 'ltm:' + marker)}:{_part(memory_id)}"

    def shard_live(self, marker: str) -> str:
        """Cluster layout: "1" while a namespace's index stands, "0" while it is being dropped
        (a writer that finds it otherwise makes sure the index exists; storage/sharded.py)."""
        return self._group("ltm_live", "ltm:" + marker)

    def record_namespace(self, memory_id: str) -> str:
        """Cluster layout: record id -> the marker of its namespace (where its keys are)."""
        return f"{self.prefix}:ltm_ns:{_part(memory_id)}"

    @property
    def shard_markers(self) -> str:
        """Cluster layout: set of the markers of every namespace that has an index."""
        return f"{self.prefix}:ltm_namespaces"

    @property
    def embedder_info(self) -> str:
        """Which embedder (name and dimension) wrote the vectors of the long-term index."""
        return f"{self.prefix}:ltm_embedder"

    def auth_token(self, digest: str) -> str:
        """An API token's record, under the SHA-256 of the token (never the token itself)."""
        return f"{self._group('auth_token', 'auth')}:{digest}"

    @property
    def auth_token_ids(self) -> str:
        """Hash: token id -> digest, for listing and removing tokens by id."""
        return self._group("auth_token_ids", "auth")

    @property
    def schema_version(self) -> str:
        return f"{self.prefix}:schema_version"

    # Summary views: every key under `<prefix>:sv:`, outside the prefixes of the indexes.

    @property
    def _sv(self) -> str:
        return self._group("sv", "sv")

    @property
    def summary_views(self) -> str:
        """Set of the ids of every summary view."""
        return f"{self._sv}:views"

    def summary_view(self, view_id: str) -> str:
        """JSON document of one view's definition."""
        return f"{self._sv}:view:{_part(view_id)}"

    def summary_partitions(self, view_id: str) -> str:
        """Set of the partition digests stored for a view."""
        return f"{self._sv}:parts:{_part(view_id)}"

    def summary_partition(self, view_id: str, digest: str) -> str:
        """JSON document of one partition's result."""
        return f"{self._sv}:part:{_part(view_id)}:{digest}"

    def summary_task(self, task_id: str) -> str:
        """JSON document of one background task (a full run of a view)."""
        return f"{self._sv}:task:{_part(task_id)}"

    # The periodic maintenance jobs (compaction, forgetting, summary view refresh).

    def job_last_run(self, job: str) -> str:
        """When `job` last started (epoch seconds); expires when its interval has passed."""
        return f"{self.prefix}:maintenance:{_part(job)}:last_run"

    def job_task(self, job: str, namespace: str | None = None, user_id: str | None = None) -> str:
        """Docket task key: at most one queued run of `job` per scope."""
        return f"{self.prefix}:maintenance:{_part(job)}:{_owner(namespace, user_id)}"
