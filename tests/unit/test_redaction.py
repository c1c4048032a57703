"""Redaction of e-mail addresses, phone numbers, API keys and the operator's own patterns."""

from __future__ import annotations

from typing import Any

import pytest

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.working_memory import MemoryMessage
from agent_memory_server.services import redaction
from tests.support.hermetic import TestSettings


def settings(**values: Any) -> TestSettings:
    return TestSettings(**values)


ALL = settings(redact=["emails", "phones", "keys"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to bob.smith+tag@mail.example.co.uk today",
         "write to [REDACTED:email] today"),
        ("call +1 (415) 555-0134 or 020 7946 0958", "call [REDACTED:phone] or [REDACTED:phone]"),
        ("key sk-proj-abcdefghijklmnop1234 and AKIAABCDEFGHIJKLMNOP",
         "key [REDACTED:key] and [REDACTED:key]"),
        ("token ams_abcdefghijklmnopqrstuvwxyz", "token [REDACTED:key]"),
    ],
)  # fmt: skip
def test_builtin_kinds_are_replaced(text: str, expected: str) -> None:
    assert redaction.redact(ALL, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we met on 2024-03-01 at 10:30",
        "the date 12/03/2024 and the time 10.30.45",
        "order 1234567 shipped",  # too few digits for a phone number
        "a version 1.2.3 and user@localhost",
    ],
)
def test_dates_short_numbers_and_non_addresses_are_kept(text: str) -> None:
    assert redaction.redact(ALL, text) == text


def test_only_the_configured_kinds_and_patterns_apply() -> None:
    text = "mail a@b.io, call 020 7946 0958, employee E-12345"
    emails_only = settings(redact=["emails"], redact_patterns=[r"E-\d{5}"])
    assert redaction.redact(emails_only, text) == (
        "mail [REDACTED:email], call 020 7946 0958, employee [REDACTED:pattern]"
    )


def test_nothing_configured_leaves_every_text_as_it_is() -> None:
    off = settings()
    assert not redaction.active(off)
    message = MemoryMessage(role="user", content="a@b.io")
    assert redaction.messages(off, [message]) == [message]
    assert redaction.text(off, "a@b.io") == "a@b.io"


def test_messages_records_and_texts_are_redacted_as_copies() -> None:
    message = MemoryMessage(role="user", content="I am a@b.io")
    record = MemoryRecord(id="r", text="reach me at a@b.io")
    [clean_message] = redaction.messages(ALL, [message])
    [clean_record] = redaction.records(ALL, [record])
    assert clean_message.content == "I am [REDACTED:email]" and clean_message.id == message.id
    assert clean_record.text == "reach me at [REDACTED:email]" and clean_record.id == "r"
    assert message.content == "I am a@b.io"  # the caller's objects are left alone
    assert redaction.text(ALL, None) is None
