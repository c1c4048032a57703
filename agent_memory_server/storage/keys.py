"""Every Redis key, prefix and index name the server uses, built in one place."""

from __future__ import annotations

from dataclasses import dataclass


def _part(value: str) -> str:
    """Escape a key component so that ':' inside ids cannot collide with the separator."""
    return value.replace("%", "%25").replace(":", "%3A")


@dataclass(frozen=True)
class Keys:
    """Key builder bound to one prefix (one deployment, or one test)."""

    prefix: str

    @property
    def working_memory_prefix(self) -> str:
        return f"{self.prefix}:wm:"

    @property
    def working_memory_index(self) -> str:
        return f"{self.prefix}:wm_idx"

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
        ns = "-" if namespace is None else "n" + _part(namespace)
        user = "-" if user_id is None else "u" + _part(user_id)
        by = "-" if caller is None else "c" + _part(caller)
        return f"{self.prefix}:wm_queued:{ns}:{user}:{_part(session_id)}:{by}"

    @property
    def long_term_prefix(self) -> str:
        return f"{self.prefix}:ltm:"

    @property
    def long_term_index(self) -> str:
        return f"{self.prefix}:ltm_idx"

    def long_term(self, memory_id: str) -> str:
        return f"{self.long_term_prefix}{_part(memory_id)}"

    def long_term_access(self, memory_id: str) -> str:
        """Unindexed access statistics of a record (last_accessed, access_count)."""
        return f"{self.prefix}:ltm_access:{_part(memory_id)}"

    def memory_hash(self, namespace: str | None, user_id: str | None, digest: str) -> str:
        """Content-hash dedup pointer: (namespace, user, hash of text) -> record id."""
        ns = "-" if namespace is None else "n" + _part(namespace)
        user = "-" if user_id is None else "u" + _part(user_id)
        return f"{self.prefix}:ltm_hash:{ns}:{user}:{digest}"

    @property
    def embedder_info(self) -> str:
        """Which embedder (name and dimension) wrote the vectors of the long-term index."""
        return f"{self.prefix}:ltm_embedder"

    def auth_token(self, digest: str) -> str:
        """An API token's record, under the SHA-256 of the token (never the token itself)."""
        return f"{self.prefix}:auth_token:{digest}"

    @property
    def auth_token_ids(self) -> str:
        """Hash: token id -> digest, for listing and removing tokens by id."""
        return f"{self.prefix}:auth_token_ids"

    @property
    def schema_version(self) -> str:
        return f"{self.prefix}:schema_version"
