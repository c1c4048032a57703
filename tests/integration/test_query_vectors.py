"""The query vector cache (QUERY_EMBEDDING_CACHE) over REST, with the real local model: a
repeated query is answered from it with the same results, another tenant's query never is,
its size bound holds (least recently used out first), and 0 turns it off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token
from tests.conftest import AppClient

MEMORIES = [
    {"id": "a1", "text": "Alice moved to Paris in 2021.", "namespace": "a", "user_id": "alice"},
    {"id": "a2", "text": "Alice plays the cello on Sundays.", "namespace": "a", "user_id": "alice"},
    {"id": "b1", "text": "Bob moved to Tokyo last spring.", "namespace": "b", "user_id": "bob"},
]


async def _seed(app: AppClient, headers: dict[str, str] | None = None) -> None:
    body = {"memories": MEMORIES, "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def _search(
    app: AppClient, text: str, mode: str = "semantic", headers: dict[str, str] | None = None
) -> list[tuple[str, float]]:
    body = {"text": text, "search_mode": mode, "limit": 3}
    response = await app.http.post("/v1/long-term-memory/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return [(m["id"], m["dist"]) for m in response.json()["memories"]]


async def test_a_repeated_query_is_answered_from_the_cache_with_the_same_results(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    # float32 queries: the cached vector can be compared with the write path's own.
    async with start_app(make_settings(query_embedding_precision="float32")) as app:
        await _repeated_query(app)


async def _repeated_query(app: AppClient) -> None:
    await _seed(app)
    cache = app.resources.query_vectors
    first = await _search(app, "Where did Alice move?")
    assert (cache.hits, cache.misses) == (0, 1)
    again = await _search(app, "Where did Alice move?")
    assert (cache.hits, cache.misses) == (1, 1)
    assert again == first and first[0][0] == "a1"
    # Hybrid search and the memory prompt embed their query through the same cache.
    hybrid = await _search(app, "Where did Alice move?", mode="hybrid")
    assert cache.hits == 2 and hybrid[0][0] == "a1"
    prompt = {"query": "Where did Alice move?", "long_term_search": {"limit": 2}}
    response = await app.http.post("/v1/memory/prompt", json=prompt)
    assert response.status_code == 200, response.text
    assert "Alice moved to Paris" in response.text
    assert (cache.hits, cache.misses) == (3, 1)
    metrics = (await app.http.get("/metrics")).text
    assert 'agent_memory_query_vectors_total{source="cache"} 3.0' in metrics
    assert 'agent_memory_query_vectors_total{source="embedded"} 1.0' in metrics
    # Another text is another entry; the cached vector is the one the model gives.
    await _search(app, "Who plays the cello?")
    assert (cache.hits, cache.misses, len(cache)) == (3, 2, 2)
    fresh = (await app.resources.embedder.embed(["Who plays the cello?"]))[0]
    cached = await cache.vector("Who plays the cello?", None)
    assert cache.hits == 4
    np.testing.assert_allclose(cached, fresh, atol=1e-5)


async def test_another_tenants_query_is_never_answered_from_the_cache(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        r = app.resources
        admin, _ = await add_token(r.tokens, "admin")
        alice, _ = await add_token(r.tokens, "alice", ["a"], user_id="alice")
        bob, _ = await add_token(r.tokens, "bob", ["b"], user_id="bob")
        await _seed(app, {"authorization": f"Bearer {admin}"})
        cache = r.query_vectors
        text = "Where did they move?"
        as_alice = await _search(app, text, headers={"authorization": f"Bearer {alice}"})
        as_bob = await _search(app, text, headers={"authorization": f"Bearer {bob}"})
        assert (cache.hits, cache.misses, len(cache)) == (0, 2, 2)
        assert {i for i, _ in as_alice} == {"a1", "a2"} and [i for i, _ in as_bob] == ["b1"]
        again = await _search(app, text, headers={"authorization": f"Bearer {bob}"})
        assert again == as_bob
        assert (cache.hits, cache.misses) == (1, 2)  # bob's own entry, not alice's
        await _search(app, text, headers={"authorization": f"Bearer {admin}"})
        assert (cache.hits, cache.misses, len(cache)) == (1, 3, 3)


async def test_the_size_bound_holds_and_the_least_recently_used_goes_first(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(query_embedding_cache=2)) as app:
        await _seed(app)
        cache = app.resources.query_vectors
        for text in ("one query", "two query", "one query", "three query"):
            await _search(app, text)
        assert len(cache) == 2 and (cache.hits, cache.misses) == (1, 3)
        await _search(app, "one query")  # used more recently than "two query": kept
        assert cache.hits == 2
        await _search(app, "two query")  # dropped for "three query"
        assert (cache.hits, cache.misses, len(cache)) == (2, 4, 2)


async def test_zero_turns_the_cache_off(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(query_embedding_cache=0)) as app:
        await _seed(app)
        cache = app.resources.query_vectors
        first = await _search(app, "Where did Alice move?")
        again = await _search(app, "Where did Alice move?")
        assert again == first and first[0][0] == "a1"  # embedded twice, alike
        assert (cache.hits, cache.misses, len(cache)) == (0, 2, 0)


async def test_a_negative_size_is_refused(make_settings: Callable[..., Settings]) -> None:
    try:
        make_settings(query_embedding_cache=-1)
    except ValueError as e:
        assert "query_embedding_cache" in str(e)
    else:
        raise AssertionError("QUERY_EMBEDDING_CACHE=-1 was accepted")


async def test_int8_queries_find_what_float_queries_find(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(query_embedding_precision="int8")) as app:
        await _seed(app)
        cache = app.resources.query_vectors
        assert cache.model == "local:all-MiniLM-L6-v2/int8"  # never mixed with float entries
        for text, expected in (("Where did Alice move?", "a1"), ("Who plays the cello?", "a2"),
                               ("Who lives in Tokyo?", "b1")):  # fmt: skip
            hits = await _search(app, text, mode="hybrid")
            assert hits[0][0] == expected, (text, hits)
            stored = (await app.resources.embedder.embed([text]))[0]
            query = await cache.vector(text, None)
            assert 0.98 <= float(np.dot(stored, query)) < 0.99999  # the int8 copy answered
