"""Key building and settings resolution."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from agent_memory_server.config import Settings
from agent_memory_server.storage.keys import Keys, partition_digest


def test_namespace_is_part_of_the_key_and_separators_are_escaped() -> None:
    keys = Keys("ams")
    assert keys.working_memory(None, "s") != keys.working_memory("", "s")
    assert keys.working_memory("a:b", "c") != keys.working_memory("a", "b:c")
    assert keys.working_memory("a", "s").startswith(keys.working_memory_prefix)
    assert keys.summarization_task("a", "s") != keys.summarization_task(None, "s")


def test_llm_provider_auto_resolution() -> None:
    base = {"_env_file": None}
    assert Settings(**base).resolved_llm_provider() == "none"  # type: ignore[arg-type]
    with_openai = Settings(**base, openai_api_key=SecretStr("k"))  # type: ignore[arg-type]
    assert with_openai.resolved_llm_provider() == "openai"
    local = Settings(**base, openai_base_url="http://localhost:11434/v1")  # type: ignore[arg-type]
    assert local.resolved_llm_provider() == "openai"
    claude = Settings(**base, anthropic_api_key=SecretStr("sk-ant-secret"))  # type: ignore[arg-type]
    assert claude.resolved_llm_provider() == "anthropic"
    assert "sk-ant-secret" not in repr(claude)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, key_prefix="has space")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, summarization_threshold=1.5)  # type: ignore[call-arg]


def test_every_key_the_server_writes_is_pinned() -> None:
    """Every key builder of storage/keys.py, with its exact output: a key that changes strands
    what is stored under the old one (a migration), so it must change here on purpose."""
    k = Keys("p")
    pinned = {
        k.working_memory_prefix: "p:wm:",
        k.working_memory_index: "p:wm_idx",
        k.working_memory("n:1", "s"): "p:wm:nn%3A1:s",
        k.working_memory(None, "s%"): "p:wm:-:s%25",
        k.summarization_task("n", "s"): "p:summarize:nn:s",
        k.session_queued("n", "u", "s", "alice"): "p:wm_queued:nn:uu:s:calice",
        k.session_queued(None, None, "s", None): "p:wm_queued:-:-:s:-",
        k.long_term_prefix: "p:ltm:",
        k.long_term_index: "p:ltm_idx",
        k.long_term("m:1"): "p:ltm:m%3A1",
        k.long_term_access("m"): "p:ltm_access:m",
        k.long_term_access_prefix: "p:ltm_access:",  # the page scripts build access keys by it
        k.memory_hash("n", None, "abc"): "p:ltm_hash:nn:-:abc",
        k.embedder_info: "p:ltm_embedder",
        k.auth_token("d"): "p:auth_token:d",
        k.auth_token_ids: "p:auth_token_ids",
        k.schema_version: "p:schema_version",
        k.summary_views: "p:sv:views",
        k.summary_view("v"): "p:sv:view:v",
        k.summary_partitions("v"): "p:sv:parts:v",
        k.summary_partition("v", "d"): "p:sv:part:v:d",
        k.summary_task("t"): "p:sv:task:t",
        k.job_last_run("compaction"): "p:maintenance:compaction:last_run",
        k.job_task("forgetting"): "p:maintenance:forgetting:-:-",
        k.job_task("compaction", "n", "u"): "p:maintenance:compaction:nn:uu",
    }
    for built, expected in pinned.items():
        assert built == expected
    builders = {
        name for name in dir(Keys) if not name.startswith("_") and name not in ("prefix", "cluster")
    }  # every public builder is pinned above: count them
    assert len(builders) == 29, sorted(builders)  # 7 of the cluster layout, pinned below
    assert partition_digest({"user_id": "a", "namespace": "n"}) == partition_digest(
        {"namespace": "n", "user_id": "a"}
    )


def test_cluster_keys_that_change_together_share_a_hash_tag() -> None:
    """On a Redis Cluster, the keys of one transaction, script, multi-key command or index
    carry one hash tag (one slot); single-slot keys keep their single-node names."""
    k = Keys("p", cluster=True)
    pinned = {
        k.working_memory_prefix: "p:wm:{p:wm}:",
        k.working_memory_index: "p:wm_idx:{p:wm}",
        k.working_memory("n:1", "s"): "p:wm:{p:wm}:nn%3A1:s",
        k.summarization_task("n", "s"): "p:summarize:nn:s",
        k.session_queued(None, None, "s", None): "p:wm_queued:{p:wm}:-:-:s:-",  # in the write MULTI
        # long-term memory: one hash tag and one index per namespace ('-': none)
        k.shard_prefix("nn"): "p:ltm:{p:ltm:nn}:",
        k.shard_index("nn"): "p:ltm_idx:{p:ltm:nn}",
        k.shard_record("-", "m:1"): "p:ltm:{p:ltm:-}:m%3A1",
        k.shard_access("nn", "m"): "p:ltm_access:{p:ltm:nn}:m",
        k.memory_hash("n", None, "abc"): "p:ltm_hash:{p:ltm:nn}:nn:-:abc",
        k.shard_live("nn"): "p:ltm_live:{p:ltm:nn}",  # in the write MULTI
        k.record_namespace("m:1"): "p:ltm_ns:m%3A1",
        k.shard_markers: "p:ltm_namespaces",
        k.embedder_info: "p:ltm_embedder",
        k.auth_token("d"): "p:auth_token:{p:auth}:d",
        k.auth_token_ids: "p:auth_token_ids:{p:auth}",
        k.schema_version: "p:schema_version",
        k.summary_views: "p:sv:{p:sv}:views",
        k.summary_view("v"): "p:sv:{p:sv}:view:v",
        k.summary_partitions("v"): "p:sv:{p:sv}:parts:v",
        k.summary_partition("v", "d"): "p:sv:{p:sv}:part:v:d",
        k.summary_task("t"): "p:sv:{p:sv}:task:t",
        k.job_last_run("compaction"): "p:maintenance:compaction:last_run",
        k.job_task("forgetting"): "p:maintenance:forgetting:-:-",
    }
    for built, expected in pinned.items():
        assert built == expected
    assert partition_digest({"user_id": "a", "namespace": "n"}) == partition_digest(
        {"namespace": "n", "user_id": "a"}
    )
