"""/v1/long-term-memory: writes, dedup, filters, the three search modes, paging, prompt."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import AppClient

FACTS = [
    ("f1", "Alice moved to Paris in 2021.", "alice", "travel", ["home"], ["Alice", "Paris"]),
    ("f2", "Alice is allergic to peanuts.", "alice", "health", ["food", "health"], ["Alice"]),
    ("f3", "Bob plays the cello every Sunday.", "bob", "hobbies", ["music"], ["Bob"]),
    ("f4", "Bob's favourite food is ramen.", "bob", "health", ["food"], ["Bob"]),
    ("f5", "The quarterly report is due on Friday.", "alice", "work", ["work"], []),
]


def _record(i: int, fact: tuple[Any, ...], **extra: Any) -> dict[str, Any]:
    memory_id, text, user, namespace, topics, entities = fact
    return {
        "id": memory_id, "text": text, "user_id": user, "namespace": namespace,
        "topics": topics, "entities": entities, "memory_type": "semantic",
        "created_at": 1_700_000_000 + i * 86_400, **extra,
    }  # fmt: skip


async def _seed(app: AppClient) -> None:
    body = {"memories": [_record(i, f) for i, f in enumerate(FACTS)]}
    response = await app.http.post("/v1/long-term-memory/", json=body)
    assert response.json() == {"status": "ok"}


async def _search(app: AppClient, **body: Any) -> dict[str, Any]:
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _ids(result: dict[str, Any]) -> list[str]:
    return [m["id"] for m in result["memories"]]


async def test_write_get_edit_delete(app: AppClient) -> None:
    await _seed(app)
    got = (await app.http.get("/v1/long-term-memory/f1")).json()
    assert got["text"] == "Alice moved to Paris in 2021."
    assert got["topics"] == ["home"] and got["entities"] == ["Alice", "Paris"]
    assert got["persisted_at"] is not None and got["memory_hash"]

    edited = await app.http.patch(
        "/v1/long-term-memory/f1", json={"text": "Alice moved to Rome.", "pinned": True}
    )
    assert edited.status_code == 200 and edited.json()["pinned"] is True
    found = await _search(
        app, text="Which city does Alice live in now?", limit=1, user_id={"eq": "alice"}
    )
    assert found["memories"][0]["text"] == "Alice moved to Rome."  # re-embedded

    same = await app.http.patch("/v1/long-term-memory/f1", json={"pinned": True})
    assert same.status_code == 400 and "Nothing to change" in same.json()["detail"]
    assert (await app.http.patch("/v1/long-term-memory/f1", json={"bogus": 1})).status_code == 422
    assert (
        await app.http.patch("/v1/long-term-memory/nope", json={"pinned": True})
    ).status_code == 404

    deleted = await app.http.delete(
        "/v1/long-term-memory", params={"memory_ids": ["f1", "f2", "zz"]}
    )
    assert deleted.json() == {"status": "ok, deleted 2 memories"}
    assert (await app.http.get("/v1/long-term-memory/f1")).status_code == 404


async def test_dedup_by_id_and_by_content(app: AppClient) -> None:
    await _seed(app)
    again = {"memories": [_record(0, FACTS[0]), {**_record(0, FACTS[0]), "id": "copy"}]}
    await app.http.post("/v1/long-term-memory/", json=again)
    listing = await _search(app, text="", user_id={"eq": "alice"}, namespace={"eq": "travel"})
    assert listing["total"] == 1  # same id upserted, same text for the same owner skipped
    spaced = {**_record(0, FACTS[0]), "id": "copy2", "text": "  alice MOVED to paris in 2021. "}
    await app.http.post("/v1/long-term-memory/", json={"memories": [spaced]})
    assert (await _search(app, text="", namespace={"eq": "travel"}))["total"] == 1
    other_user = {**_record(0, FACTS[0]), "id": "bobcopy", "user_id": "bob"}
    await app.http.post("/v1/long-term-memory/", json={"memories": [other_user]})
    assert (await _search(app, text="", namespace={"eq": "travel"}))["total"] == 2
    forced = {**_record(0, FACTS[0]), "id": "forced"}
    await app.http.post("/v1/long-term-memory/", json={"memories": [forced], "deduplicate": False})
    assert (await _search(app, text="", namespace={"eq": "travel"}))["total"] == 3
    # once the holder of a text is deleted, the text can be stored again
    await app.http.delete("/v1/long-term-memory", params={"memory_ids": ["f4"]})
    await app.http.post(
        "/v1/long-term-memory/", json={"memories": [{**_record(3, FACTS[3]), "id": "f4b"}]}
    )
    assert (await app.http.get("/v1/long-term-memory/f4b")).status_code == 200


async def test_search_modes_rank_the_relevant_fact_first(app: AppClient) -> None:
    await _seed(app)
    for mode in ("semantic", "keyword", "hybrid"):
        result = await _search(app, text="peanuts allergy", search_mode=mode, limit=3)
        assert _ids(result)[0] == "f2", (mode, result)
        assert result["memories"][0]["score_type"] == mode
    semantic = await _search(app, text="what instrument does Bob play", search_mode="semantic")
    assert _ids(semantic)[0] == "f3"
    assert 0 <= semantic["memories"][0]["dist"] < semantic["memories"][-1]["dist"]
    keyword = await _search(app, text="cello", search_mode="keyword")
    assert _ids(keyword) == ["f3"] and keyword["total"] == 1


async def test_filters(app: AppClient) -> None:
    await _seed(app)
    day = 86_400
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"user_id": {"eq": "bob"}}, {"f3", "f4"}),
        ({"user_id": {"ne": "bob"}}, {"f1", "f2", "f5"}),
        ({"namespace": {"any": ["health", "work"]}}, {"f2", "f4", "f5"}),
        ({"topics": {"all": ["food", "health"]}}, {"f2"}),
        ({"topics": {"any": ["music", "work"]}}, {"f3", "f5"}),
        ({"topics": {"none": ["food"]}}, {"f1", "f3", "f5"}),
        ({"entities": {"eq": "Paris"}}, {"f1"}),
        ({"memory_type": {"eq": "episodic"}}, set()),
        ({"created_at": {"gte": 1_700_000_000 + 3 * day}}, {"f4", "f5"}),
        ({"created_at": {"lt": 1_700_000_000 + day}}, {"f1"}),
        ({"created_at": {"between": [1_700_000_000 + day, 1_700_000_000 + 2 * day]}}, {"f2", "f3"}),
        ({"created_at": {"eq": 1_700_000_000 + 2 * day}}, {"f3"}),
        ({"created_at": {"ne": 1_700_000_000 + 2 * day}}, {"f1", "f2", "f4", "f5"}),
        (
            {"created_at": {"gte": "2023-11-15T22:13:20Z", "lte": 1_700_000_000 + 2 * day}},
            {"f2", "f3"},
        ),
        ({"namespace": {"in_": ["travel"]}, "user_id": {"not_eq": "bob"}}, {"f1"}),
        ({"user_id": {"eq": "nobody"}}, set()),
    ]
    for filters, expected in cases:
        for text in ("", "food"):
            for mode in ("semantic", "hybrid", "keyword") if text else ("semantic",):
                result = await _search(app, text=text, search_mode=mode, limit=10, **filters)
                ids = set(_ids(result))
                if mode == "keyword":
                    assert ids <= expected, (filters, mode, ids)
                else:
                    assert ids == expected, (filters, text, mode, ids)
                    assert result["total"] == len(expected), (filters, mode, result["total"])


async def test_malformed_filters_get_422_with_a_clear_message(app: AppClient) -> None:
    bad = [
        ({"user_id": {"eq": "a", "ne": "b"}}, "exactly one"),
        ({"user_id": {"like": "a"}}, "like"),
        ({"colour": {"eq": "red"}}, "colour"),
        ({"created_at": {"between": [1]}}, "between"),
        ({"created_at": {"between": [3, 1]}}, "between"),
        ({"created_at": {"eq": 1, "gt": 0}}, "cannot be combined"),
        ({"created_at": {"gte": "yesterday"}}, "yesterday"),
        ({"topics": {"any": []}}, "at least one"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"search_mode": "fuzzy"}, "search_mode"),
        ({"search_mode": "keyword", "distance_threshold": 0.5}, "distance_threshold"),
    ]
    for body, word in bad:
        response = await app.http.post("/v1/long-term-memory/search", json={"text": "x", **body})
        assert response.status_code == 422, (body, response.text)
        assert word in response.text, (body, response.text)


async def test_paging_total_and_next_offset(app: AppClient) -> None:
    memories = [{"id": f"m{i:02d}", "text": f"Note number {i} about the garden", "namespace": "p",
                 "created_at": 1_700_000_000 + i} for i in range(25)]  # fmt: skip
    await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    for mode in ("semantic", "keyword", "hybrid"):
        seen: list[str] = []
        offset: int | None = 0
        while offset is not None:
            page = await _search(
                app,
                text="garden note",
                search_mode=mode,
                namespace={"eq": "p"},
                limit=10,
                offset=offset,
            )
            assert page["total"] == 25, mode
            # all 25 tie on BM25: the keyword leg widens its fetch, then reads the page by id
            assert all(m["text"].startswith("Note number") for m in page["memories"]), mode
            assert all(m["namespace"] == "p" for m in page["memories"]), mode
            seen += _ids(page)
            offset = page["next_offset"]
        assert sorted(seen) == sorted(m["id"] for m in memories), mode
        if mode == "keyword":  # tied scores page in id order, so pages neither skip nor repeat
            assert seen == sorted(seen)
    listing = await _search(app, text="", namespace={"eq": "p"}, limit=3)
    assert _ids(listing) == ["m24", "m23", "m22"]  # newest first
    assert listing["next_offset"] == 3 and listing["total"] == 25
    assert (await _search(app, text="", namespace={"eq": "p"}, offset=24))["next_offset"] is None


async def test_distance_threshold_and_recency(app: AppClient) -> None:
    await _seed(app)
    close = await _search(app, text="Alice is allergic to peanuts.", distance_threshold=0.05)
    assert _ids(close) == ["f2"] and close["total"] == 1
    now = time.time()
    old = {"id": "old", "text": "The user likes green tea.", "created_at": now - 400 * 86_400,
           "last_accessed": now - 400 * 86_400, "namespace": "r"}  # fmt: skip
    new = {
        "id": "new",
        "text": "The user likes green tea a lot.",
        "created_at": now,
        "namespace": "r",
    }
    await app.http.post(
        "/v1/long-term-memory/", json={"memories": [old, new], "deduplicate": False}
    )
    query = {"text": "The user likes green tea.", "namespace": {"eq": "r"}}
    assert _ids(await _search(app, **query))[0] == "old"  # exact text wins on meaning alone
    boosted = await _search(app, **query, recency_boost=True, recency_recency_weight=0.5)
    assert _ids(boosted)[0] == "new"
    important = {
        "id": "imp",
        "text": "The user likes tea.",
        "namespace": "r",
        "metadata": {"importance": 1.0},
    }
    await app.http.post("/v1/long-term-memory/", json={"memories": [important]})
    weighted = await _search(app, **query, importance_weight=0.6)
    assert _ids(weighted)[0] == "imp"
    assert (await app.http.get("/v1/long-term-memory/imp")).json()["metadata"] == {
        "importance": 1.0
    }


async def test_memory_prompt(app: AppClient) -> None:
    await _seed(app)
    session = {
        "messages": [{"role": "user", "content": "What should I cook tonight?"}],
        "user_id": "alice", "namespace": "health", "context": "Alice is planning dinner.",
    }  # fmt: skip
    await app.http.put("/v1/working-memory/dinner", json=session)
    body = {
        "query": "Any food I must avoid?",
        "session": {"session_id": "dinner", "namespace": "health", "user_id": "alice",
                    "model_name": "gpt-4o-mini"},
        "long_term_search": {"limit": 2},
    }  # fmt: skip
    response = await app.http.post("/v1/memory/prompt", json=body)
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "system", "user"]
    assert "Alice is planning dinner." in messages[0]["content"]["text"]
    assert messages[1]["content"] == {"type": "text", "text": "What should I cook tonight?"}
    assert "peanuts" in messages[2]["content"]["text"]
    assert "ramen" not in messages[2]["content"]["text"]  # Bob's memory stays out of Alice's prompt
    assert messages[3]["content"]["text"] == "Any food I must avoid?"
    bare = await app.http.post(
        "/v1/memory/prompt", json={"query": "hello", "long_term_search": True}
    )
    assert bare.json()["messages"][-1]["content"]["text"] == "hello"
    assert (await app.http.post("/v1/memory/prompt", json={"query": ""})).status_code == 422


async def test_owner_ids_match_exactly(app: AppClient) -> None:
    """No tenant sees another through case folding or a comma in an id."""
    memories = [
        {"id": "lower", "text": "Lowercase alice's secret.", "user_id": "alice"},
        {"id": "upper", "text": "Uppercase Alice's secret.", "user_id": "Alice"},
        {"id": "comma", "text": "The comma user's secret.", "user_id": "a,b", "namespace": "x,y"},
        {"id": "plain", "text": "User a's secret.", "user_id": "a", "namespace": "x"},
    ]
    await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    for user, expected in (("alice", ["lower"]), ("Alice", ["upper"]), ("a", ["plain"]),
                           ("a,b", ["comma"])):  # fmt: skip
        for mode in ("semantic", "keyword", "hybrid"):
            found = await _search(app, text="secret", search_mode=mode, user_id={"eq": user})
            assert _ids(found) == expected, (user, mode)
        assert _ids(await _search(app, text="", user_id={"eq": user})) == expected
    assert _ids(await _search(app, text="", namespace={"eq": "x,y"})) == ["comma"]
    assert _ids(await _search(app, text="", namespace={"eq": "x"})) == ["plain"]


async def test_search_records_the_access_of_its_page(app: AppClient) -> None:
    """Each search counts one access of every record on its page, after reading them."""
    await _seed(app)
    before = (await app.http.get("/v1/long-term-memory/f3")).json()
    assert before["access_count"] == 0
    query = {"text": "cello", "search_mode": "keyword", "user_id": {"eq": "bob"}, "limit": 1}
    first = (await _search(app, **query))["memories"][0]
    assert first["id"] == "f3" and first["access_count"] == 0  # read before its access
    second = (await _search(app, **query))["memories"][0]
    assert second["access_count"] == 1
    assert second["last_accessed"] > before["last_accessed"]
    after = (await app.http.get("/v1/long-term-memory/f3")).json()
    assert after["access_count"] == 2
    unread = (await app.http.get("/v1/long-term-memory/f4")).json()
    assert unread["access_count"] == 0  # not on the page


async def test_search_returns_whole_records_on_every_path(app: AppClient) -> None:
    """A page read from the search reply itself (no re-ranking) and a page read back by id
    (hybrid, recency) carry the same record as GET, every field of it."""
    extra = {
        "session_id": "s9", "event_date": 1_700_100_000, "pinned": True,
        "metadata": {"importance": 0.7, "source": {"app": "notes"}},
        "discrete_memory_extracted": "t", "extraction_strategy": "discrete",
    }  # fmt: skip
    await _seed(app)
    body = {"memories": [_record(9, ("f9", "Carol keeps bees on her roof.", "carol", "hobbies",
                                     ["bees", "garden"], ["Carol"]), **extra)]}  # fmt: skip
    assert (await app.http.post("/v1/long-term-memory/", json=body)).status_code == 200
    await app.http.get("/v1/long-term-memory/f9")  # an access, so the access hash has values
    volatile = {
        "last_accessed", "access_count", "dist", "score", "score_type", "semantic_rank",
        "keyword_rank",
    }  # fmt: skip
    for query in [
        {"search_mode": "keyword"},
        {"search_mode": "semantic"},
        {"search_mode": "hybrid"},
        {"search_mode": "keyword", "recency_boost": True},
        {"search_mode": "semantic", "distance_threshold": 0.9},
    ]:
        page = await _search(
            app, text="bees on the roof", limit=1, user_id={"eq": "carol"}, **query
        )
        found = page["memories"][0]
        stored = (await app.http.get("/v1/long-term-memory/f9")).json()
        assert found["id"] == "f9", query
        assert {k: v for k, v in found.items() if k not in volatile} == {
            k: v for k, v in stored.items() if k not in volatile
        }, query
        assert found["access_count"] == stored["access_count"] - 1  # read, then counted
        assert found["pinned"] is True and found["metadata"]["source"] == {"app": "notes"}
