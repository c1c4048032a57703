"""Corpus-level topic modelling with BERTopic (the `bertopic` extra) over a user's memories."""

from __future__ import annotations

from typing import Any

import pytest

from agent_memory_server.errors import InvalidRequest
from agent_memory_server.models.upkeep import TopicModelRequest, TopicModelResponse
from agent_memory_server.services.corpus_topics import model_topics
from tests.conftest import AppClient

THEMES = {
    "cooking": [
        "Sam bakes sourdough bread every Sunday morning.",
        "Sam's favourite recipe is a slow-cooked beef ragu with fresh pasta.",
        "Sam bought a cast iron skillet for searing steaks.",
        "Sam is learning to make ramen broth from pork bones.",
        "Sam keeps a jar of homemade kimchi fermenting in the fridge.",
        "Sam roasted a whole chicken with lemon and garlic for dinner.",
        "Sam wants to try baking croissants with laminated dough.",
        "Sam makes pesto with basil from the kitchen windowsill.",
        "Sam's pizza dough rests for two days before baking.",
        "Sam cooked a vegetable curry with coconut milk and lentils.",
        "Sam sharpens the chef's knife before chopping onions.",
        "Sam prefers cooking risotto with homemade chicken stock.",
    ],
    "hiking": [
        "Sam hiked to the summit of Ben Nevis in the fog.",
        "Sam bought new waterproof hiking boots for mountain trails.",
        "Sam plans a three-day trek through the Alps in July.",
        "Sam camped beside a mountain lake after a long hike.",
        "Sam prefers trails with steep climbs and ridge views.",
        "Sam carries a map and compass when hiking in the mountains.",
        "Sam walked the coastal path with a heavy backpack.",
        "Sam's hiking club meets for a mountain walk every Saturday.",
        "Sam climbed a rocky ridge and watched the sunrise from the peak.",
        "Sam packed a tent and sleeping bag for the hiking trip.",
        "Sam twisted an ankle descending a muddy mountain trail.",
        "Sam dreams of hiking the Pacific Crest Trail one day.",
    ],
    "music": [
        "Sam plays the cello in a community orchestra.",
        "Sam practises Bach cello suites for an hour each evening.",
        "Sam went to a jazz concert with a brilliant saxophone solo.",
        "Sam is learning to play piano chords for pop songs.",
        "Sam's orchestra rehearses Dvorak's symphony for the spring concert.",
        "Sam listens to vinyl records of classical music.",
        "Sam tuned the cello strings before the orchestra rehearsal.",
        "Sam bought tickets to hear the symphony orchestra play Mahler.",
        "Sam writes songs on an acoustic guitar.",
        "Sam sings bass in a choir that performs at Christmas concerts.",
        "Sam took a lesson on cello bowing technique.",
        "Sam's favourite composer is Brahms, especially the piano concertos.",
    ],
}
OTHER_USER = [f"Kim's recipe {n}: bake the bread and roast the chicken." for n in range(12)]


async def _seed(app: AppClient) -> dict[str, str]:
    """Store the themes for user sam and one theme for kim; returns id -> theme."""
    theme_of = {}
    memories: list[dict[str, Any]] = []
    for theme, texts in THEMES.items():
        for n, text in enumerate(texts):
            memory_id = f"{theme}-{n}"
            theme_of[memory_id] = theme
            memories.append({"id": memory_id, "text": text, "user_id": "sam", "namespace": "app"})
    for n, text in enumerate(OTHER_USER):
        memories.append({"id": f"kim-{n}", "text": text, "user_id": "kim", "namespace": "app"})
    body = {"memories": memories, "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", json=body)
    assert response.status_code == 200, response.text
    return theme_of


async def test_a_users_memories_fall_into_their_themes(app: AppClient) -> None:
    theme_of = await _seed(app)
    body = {"namespace": "app", "user_id": "sam", "min_topic_size": 5, "apply": True}
    response = await app.http.post("/v1/long-term-memory/topics", json=body)
    assert response.status_code == 200, response.text
    result = TopicModelResponse.model_validate(response.json())

    assert result.memories == 36  # kim's memories are not in sam's scope
    assert 2 <= len(result.topics) <= 4, result
    assert result.outliers + sum(t.memory_count for t in result.topics) == 36
    clustered = sum(t.memory_count for t in result.topics)
    assert clustered >= 24, result  # most memories belong to a topic
    for topic in result.topics:
        themes = [theme_of[i] for i in topic.memory_ids]
        top = max(set(themes), key=themes.count)
        assert themes.count(top) / len(themes) >= 0.8, (topic, themes)  # a topic is one theme
        assert topic.label == ", ".join(topic.keywords[:3]) and topic.label
        assert "sam" not in topic.keywords[:3]  # in every memory: names no topic
    assert result.applied == clustered

    # With apply, each member carries its topic's label; kim's memories are untouched.
    topic = result.topics[0]
    member = (await app.http.get(f"/v1/long-term-memory/{topic.memory_ids[0]}")).json()
    assert topic.label in member["topics"]
    kim = (await app.http.get("/v1/long-term-memory/kim-0")).json()
    assert not any(t.label in (kim["topics"] or []) for t in result.topics)

    # Modelling again finds the labels in place: nothing new to apply.
    again = await model_topics(app.resources, TopicModelRequest.model_validate(body))
    assert {t.label for t in again.topics} == {t.label for t in result.topics}
    assert again.applied == 0


async def test_too_few_memories_or_bad_input_is_a_4xx(app: AppClient) -> None:
    await _seed(app)
    request = TopicModelRequest(namespace="app", user_id="nobody")
    with pytest.raises(InvalidRequest, match="0 memories in scope; topic modelling needs"):
        await model_topics(app.resources, request)
    body = {"user_id": "kim", "min_topic_size": 7}  # kim has 12 memories, fewer than 2 x 7
    response = await app.http.post("/v1/long-term-memory/topics", json=body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("12 memories in scope; topic modelling needs")
    bad = await app.http.post("/v1/long-term-memory/topics", json={"min_topic_size": 1})
    assert bad.status_code == 422 and "min_topic_size" in bad.text
