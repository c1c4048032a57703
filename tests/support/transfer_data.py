"""Records with every field set (and some left empty) for export/import tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent_memory_server.models.memory_record import MemoryRecord, MemoryType

T0 = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)

FACTS = [
    ("app", "alice", "Alice moved to Lisbon in March and works as a cellist."),
    ("app", "alice", "Alice is allergic to peanuts and avoids satay."),
    ("app", "alice", "Alice's daughter Maya starts school in September."),
    ("app", "bob", "Bob plays the cello in a jazz quartet on Fridays."),
    ("app", "bob", "Bob prefers window seats on long flights."),
    ("app", "bob", "Bob's favourite dish is bacalhau à Brás, with a café after ☕."),
    ("app", "alice", "Line one of a note\nline two: the garden needs water on Sundays."),
    ("app", "carol", "Carol adopted a greyhound called Pixel."),
    ("other", "carol", "Carol is learning Portuguese with an online tutor."),
    ("other", "dave", "The team retrospective moved to Thursday afternoons."),
    ("other", "dave", "Dave keeps his climbing gear in the garage."),
]
TYPES = [MemoryType.SEMANTIC, MemoryType.EPISODIC, MemoryType.MESSAGE]


def sample_records() -> list[MemoryRecord]:
    """Eleven records over two namespaces and four users, no two alike."""
    records = []
    for i, (namespace, user, text) in enumerate(FACTS):
        created = T0 + timedelta(hours=i, microseconds=i * 7919)
        kind = TYPES[i % 3]
        records.append(
            MemoryRecord(
                id=f"m{i:02d}", text=text, namespace=namespace, user_id=user,
                session_id=f"s{i % 4}" if i % 5 else None, memory_type=kind,
                topics=["food", "health"] if i % 2 else None,
                entities=[user.title()] if i % 2 else None,
                pinned=i % 4 == 0, access_count=i, created_at=created,
                updated_at=created + timedelta(minutes=5),
                last_accessed=created + timedelta(days=1, microseconds=13),
                event_date=created - timedelta(days=2) if kind == MemoryType.EPISODIC else None,
                discrete_memory_extracted="t" if i % 3 else "f",
                extracted_from=[f"msg-{i}", f"msg-{i + 1}"] if i % 3 else None,
                extraction_strategy="discrete" if i % 3 else None,
                metadata={"importance": round(0.1 * i, 1), "source": {"app": "chat", "tags": ["ü"]}}
                if i % 2 == 0
                else None,
            )
        )  # fmt: skip
    return records
