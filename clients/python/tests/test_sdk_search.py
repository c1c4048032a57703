"""Long-term search through the client: each mode, each filter, paging to the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent_memory_sdk import ClientMemoryRecord, MemoryAPIClient, MemoryClientConfig
from agent_memory_sdk.filters import (
    CreatedAt,
    Entities,
    EventDate,
    LastAccessed,
    MemoryType,
    SessionId,
    Topics,
    UserId,
)
from agent_memory_sdk.models import MemoryTypeEnum, RecencyConfig

DAY = timedelta(days=1)


async def _seed(client: MemoryAPIClient) -> datetime:
    trip = datetime(2025, 6, 1, tzinfo=UTC)
    records = [
        ClientMemoryRecord(id="sail", text="Mia went sailing near Kiel.", user_id="mia",
                           session_id="s1", topics=["sport"], entities=["Kiel"],
                           memory_type=MemoryTypeEnum.EPISODIC, event_date=trip),
        ClientMemoryRecord(id="tea", text="Mia drinks green tea every morning.", user_id="mia",
                           session_id="s2", topics=["food"], entities=["tea"],
                           memory_type=MemoryTypeEnum.SEMANTIC),
        ClientMemoryRecord(id="chess", text="Leo plays chess on Sundays.", user_id="leo",
                           topics=["games"], entities=["chess"],
                           memory_type=MemoryTypeEnum.SEMANTIC),
    ] + [
        ClientMemoryRecord(id=f"note{i}", text=f"Leo's note number {i} about gardening {i}.",
                           user_id="leo", topics=["notes"],
                           memory_type=MemoryTypeEnum.SEMANTIC)
        for i in range(12)
    ]  # fmt: skip
    await client.create_long_term_memory(records, deduplicate=False)
    return trip


async def test_modes_filters_and_paging(config: MemoryClientConfig) -> None:
    async with MemoryAPIClient(config) as client:
        trip = await _seed(client)

        async def ids(text: str = "", **kwargs: object) -> list[str]:
            found = await client.search_long_term_memory(text, limit=20, **kwargs)  # type: ignore[arg-type]
            return [m.id for m in found.memories]

        for mode in ("semantic", "keyword", "hybrid"):
            assert (await ids("sailing", search_mode=mode, user_id=UserId(eq="mia")))[0] == "sail"
        assert await ids("tea", search_mode="hybrid", hybrid_alpha=0.2,
                         user_id={"eq": "mia"}, distance_threshold=0.9) == ["tea"]  # fmt: skip
        assert set(await ids(session_id=SessionId(any=["s1", "s2"]))) == {"sail", "tea"}
        assert await ids(topics=Topics(all=["games"])) == ["chess"]
        assert await ids(entities=Entities(any=["Kiel"])) == ["sail"]
        assert await ids(memory_type=MemoryType(eq="episodic")) == ["sail"]
        assert await ids(event_date=EventDate(between=[trip - DAY, trip + DAY])) == ["sail"]
        later = datetime.now(UTC) + DAY
        assert len(await ids(created_at=CreatedAt(gte=later))) == 0
        assert len(await ids(last_accessed=LastAccessed(lt=later), user_id=UserId(ne="leo"))) == 2
        assert set(await ids(user_id=UserId(not_in=["leo"]), topics={"none": ["food"]})) == {"sail"}
        boosted = await client.search_long_term_memory(
            "Mia", recency=RecencyConfig(recency_boost=True, semantic_weight=0.5,
                                         recency_weight=0.5), limit=3,
        )  # fmt: skip
        assert len(boosted.memories) == 3

        first = await client.search_long_term_memory("", topics=Topics(eq="notes"), limit=5)
        assert first.total == 12 and first.next_offset == 5 and len(first.memories) == 5
        everything = [
            m.id
            async for m in client.search_all_long_term_memories(
                "gardening", topics=Topics(eq="notes"), batch_size=5
            )
        ]
        assert sorted(everything) == sorted(f"note{i}" for i in range(12))
