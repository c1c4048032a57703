"""The long-term store's record <-> hash codec and its FT.SEARCH reply parser, without Redis:
what is written is what is read back, whatever protocol (RESP2 or RESP3) the reply came in."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from agent_memory_server.models.memory_record import MemoryRecord, MemoryType
from agent_memory_server.storage.record_hash import from_fields, to_hash, with_access
from agent_memory_server.storage.replies import knn_hits, make_hit, search_docs

T0 = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)


def full_record() -> MemoryRecord:
    return MemoryRecord(
        id="m1", text="Alice moved to Lisbon", session_id="s1", user_id="alice",
        namespace="app", memory_type=MemoryType.EPISODIC, topics=["travel", "home"],
        entities=["Alice", "Lisbon"], pinned=True, access_count=3, created_at=T0,
        updated_at=T0, last_accessed=T0, persisted_at=T0, event_date=T0, memory_hash="h",
        discrete_memory_extracted="t", extracted_from=["w1", "w2"], extraction_strategy="llm",
        metadata={"importance": 0.75, "source": {"app": "chat"}},
    )  # fmt: skip


def as_redis(fields: dict[str, object]) -> dict[bytes, bytes]:
    """The hash as HGETALL returns it: bytes names and values (the store decodes the names)."""
    return {k.encode(): v if isinstance(v, bytes) else str(v).encode() for k, v in fields.items()}


def test_a_record_survives_the_hash_round_trip() -> None:
    record = full_record()
    fields = to_hash(record, np.arange(4, dtype=np.float64))
    assert np.frombuffer(fields["vector"], dtype=np.float32).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert fields["memory_id"] == "m1" and "id" not in fields
    assert fields["created_at"] == T0.timestamp()  # NUMERIC: epoch seconds, range-filterable
    assert fields["topics"] == "travel|home" and fields["pinned"] == "t"
    assert fields["memory_type"] == "episodic"
    assert fields["importance"] == 0.75  # indexed beside the metadata it comes from
    decoded = from_fields({k.decode(): v for k, v in as_redis(fields).items()})
    assert decoded == record


def test_absent_optionals_are_left_out_and_read_back_as_absent() -> None:
    record = MemoryRecord(id="m2", text="plain", created_at=T0, updated_at=T0, last_accessed=T0)
    fields = to_hash(record, np.zeros(2))
    for name in ("session_id", "namespace", "topics", "event_date", "metadata", "importance"):
        assert name not in fields, name  # no empty tag, no zero date
    back = from_fields({k.decode(): v for k, v in as_redis(fields).items() if k != b"vector"})
    assert back == record


def test_tag_values_cannot_smuggle_the_separator() -> None:
    record = MemoryRecord(text="x", topics=["a|b", "  ", "c "], entities=["|"])
    fields = to_hash(record, np.zeros(1))
    assert fields["topics"] == "a/b|c"  # one topic stays one tag; blanks are dropped
    assert from_fields(fields | {"memory_id": record.id}).topics == ["a/b", "c"]


@pytest.mark.parametrize("importance", [True, "high", None])
def test_only_a_numeric_importance_is_indexed(importance: object) -> None:
    record = MemoryRecord(text="x", metadata={"importance": importance})
    assert "importance" not in to_hash(record, np.zeros(1))


def test_the_later_access_wins_whichever_side_holds_it() -> None:
    stored = to_hash(full_record(), np.zeros(1))
    later = T0.timestamp() + 3600
    access = {b"last_accessed": str(later).encode(), b"access_count": b"9"}
    merged = with_access(dict(stored), access)
    assert merged.last_accessed.timestamp() == later and merged.access_count == 9
    # A script's flat reply, older than the hash: the hash's values stay.
    kept = with_access(dict(stored), [b"last_accessed", b"1.0", b"access_count", b"1"])
    assert kept.last_accessed == T0 and kept.access_count == 3


RESP2_WITHSCORES = [
    2,
    b"k:m1", b"1.5", [b"memory_id", b"m1", b"created_at", b"10", b"session_id", b"s1"],
    b"k:m2", b"0.5", [b"memory_id", b"m2", b"importance", b"0.2", b"event_date", b"99"],
]  # fmt: skip
RESP3_WITHSCORES = {
    b"total_results": 2,
    b"results": [
        {b"id": b"k:m1", b"score": 1.5,
         b"extra_attributes": {b"memory_id": b"m1", b"created_at": b"10", b"session_id": b"s1"}},
        {b"id": b"k:m2", b"score": 0.5,
         b"extra_attributes": {b"memory_id": b"m2", b"importance": b"0.2", b"event_date": b"99"}},
    ],
}  # fmt: skip


@pytest.mark.parametrize("reply", [RESP2_WITHSCORES, RESP3_WITHSCORES], ids=["resp2", "resp3"])
def test_search_replies_of_both_protocols_read_the_same(reply: object) -> None:
    total, docs = search_docs(reply)
    assert total == 2
    assert [d["memory_id"] for d in docs] == [b"m1", b"m2"]
    assert [float(d["__score"]) for d in docs] == [1.5, 0.5]
    hits = [make_hit(d, keyword_score=float(d["__score"])) for d in docs]
    assert [(h.id, h.session, h.importance, h.event_at, h.keyword_score) for h in hits] == [
        ("m1", "s1", None, None, 1.5),
        ("m2", None, 0.2, 99.0, 0.5),
    ]
    assert hits[0].created_at == 10.0 and hits[1].created_at == 0.0
    assert hits[0].fields is None


def test_a_resp2_reply_without_scores_and_an_empty_one() -> None:
    reply = [1, b"k:m3", [b"memory_id", b"m3", b"vector_distance", b"0.25", b"session_id", b""]]
    [hit] = knn_hits(reply, full=True)
    assert hit.id == "m3" and hit.distance == 0.25
    assert hit.session is None  # an empty tag is no session
    assert hit.fields is not None and hit.fields["vector_distance"] == b"0.25"
    assert search_docs([0]) == (0, [])
