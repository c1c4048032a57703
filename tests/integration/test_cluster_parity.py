"""The same memories on one Redis server and on a Redis Cluster (long-term memory sharded by
namespace there) give the same search results: within a namespace, and across namespaces
(the cluster fans out over the namespaces' indexes and merges), with the same totals and pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from tests.conftest import AppClient
from tests.support.cluster import LocalCluster

TOPICS = {
    "travel": ["Alice moved to Paris", "Bob flew to Tokyo last spring", "Carol loves the train"],
    "health": ["Alice is allergic to peanuts", "Bob runs every morning", "Carol eats no sugar"],
    "work": ["The report is due on Friday", "Bob leads the search team", "Carol ships Mondays"],
    "music": ["Bob plays the cello", "Alice sings in a choir", "Carol collects vinyl records"],
}


def _records() -> list[dict[str, Any]]:
    records = []
    for n, (namespace, texts) in enumerate(TOPICS.items()):
        for i, text in enumerate(texts):
            for copy in range(2):  # a second, reworded copy: more records, same meanings
                index = (n * 10 + i) * 2 + copy
                records.append({
                    "id": f"{namespace}-{i}-{copy}",
                    "text": text if copy == 0 else f"{text}, as noted in note {index}",
                    "namespace": namespace, "user_id": ["alice", "bob"][index % 2],
                    "topics": [namespace], "memory_type": "semantic",
                    "created_at": 1_700_000_000 + index * 3_600,
                })  # fmt: skip
    return records


QUERIES: list[dict[str, Any]] = [
    # within one namespace
    {"text": "Where does Alice live?", "namespace": {"eq": "travel"}},
    {"text": "Where does Alice live?", "namespace": {"eq": "travel"}, "offset": 2, "limit": 2},
    {"text": "peanuts sugar", "namespace": {"eq": "health"}, "search_mode": "keyword"},
    {"text": "", "namespace": {"eq": "work"}, "limit": 4, "offset": 1},
    {"text": "Who plays music?", "namespace": {"eq": "music"}, "user_id": {"eq": "bob"}},
    # across namespaces: every namespace, a list of them, or all but one
    {"text": "What does Carol like?", "limit": 5},
    {"text": "What does Carol like?", "limit": 5, "offset": 5},
    {"text": "What does Carol like?", "limit": 5, "offset": 20},
    {"text": "Bob", "namespace": {"any": ["work", "music"]}, "limit": 3, "offset": 1},
    {"text": "", "limit": 7},
    {"text": "", "limit": 7, "offset": 7},
    {"text": "", "namespace": {"ne": "work"}, "user_id": {"eq": "alice"}, "limit": 50},
    {"text": "Tokyo train", "search_mode": "hybrid", "limit": 4},
    {"text": "Where does Alice live?", "distance_threshold": 0.8, "limit": 50},
]


async def _run(app: AppClient) -> list[dict[str, Any]]:
    written = await app.http.post("/v1/long-term-memory/", json={"memories": _records()})
    assert written.status_code == 200, written.text
    answers = []
    for query in QUERIES:
        reply = await app.http.post("/v1/long-term-memory/search", json=query)
        assert reply.status_code == 200, (query, reply.text)
        body = reply.json()
        answers.append({
            "ids": [m["id"] for m in body["memories"]], "total": body["total"],
            "next_offset": body.get("next_offset"),
        })  # fmt: skip
    facets = await app.http.post(
        "/v1/long-term-memory/facets", json={"fields": ["namespace", "user_id", "topics"]}
    )
    assert facets.status_code == 200, facets.text
    answers.append(facets.json())
    return answers


async def test_cluster_answers_as_one_node(
    make_settings: Callable[..., Settings],
    start_app: Callable[[Settings], Any],
    redis_cluster: LocalCluster,
) -> None:
    async with start_app(make_settings()) as single:
        expected = await _run(single)
    before = redis_cluster.redirections()
    async with start_app(make_settings(redis_url=redis_cluster.url)) as clustered:
        got = await _run(clustered)
        markers = await clustered.resources.redis.smembers(clustered.resources.keys.shard_markers)
    assert redis_cluster.redirections() == before
    assert {m.decode() for m in markers} == {f"n{n}" for n in TOPICS}  # one index a namespace
    assert any(a.get("total", 0) > 10 for a in expected)  # the data spans the pages asked
    for query, want, have in zip([*QUERIES, "facets"], expected, got, strict=True):
        assert have == want, query
