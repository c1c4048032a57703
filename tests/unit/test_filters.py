"""Search filters as the RediSearch query the index receives, and the keyword leg's terms."""

from __future__ import annotations

import pytest

from agent_memory_server.models.filters import NumericFilter, TagFilter
from agent_memory_server.storage.filters import (
    combine,
    numeric_expression,
    query_terms,
    tag_expression,
    text_query_string,
)


@pytest.mark.parametrize(
    ("spec", "query"),
    [
        ({"eq": "app"}, "@namespace:{app}"),
        ({"ne": "app"}, "(-@namespace:{app})"),
        ({"any": ["a", "b"]}, "@namespace:{a|b}"),
        ({"all": ["a", "b"]}, "(@namespace:{a} @namespace:{b})"),  # both tags, not either
        ({"none": ["a", "b"]}, "(-@namespace:{a|b})"),
        ({"in": ["a"]}, "@namespace:{a}"),  # agent-memory-client's names are accepted
        ({"not_in": ["a"]}, "(-@namespace:{a})"),
    ],
)
def test_each_tag_operator(spec: dict[str, object], query: str) -> None:
    assert str(tag_expression("namespace", TagFilter.model_validate(spec))) == query


def test_tag_values_are_escaped_so_they_match_exactly() -> None:
    query = str(tag_expression("user_id", TagFilter(eq="alice@example.com-2")))
    assert query == r"@user_id:{alice\@example\.com\-2}"


@pytest.mark.parametrize(
    ("spec", "query"),
    [
        ({"eq": 5}, "@created_at:[5.0 5.0]"),
        ({"between": [1, 5]}, "@created_at:[1.0 5.0]"),  # inclusive at both ends
        ({"gt": 1}, "@created_at:[(1.0 +inf]"),  # exclusive
        ({"gte": 1, "lt": 5}, "(@created_at:[1.0 +inf] @created_at:[-inf (5.0])"),
        ({"gte": "1970-01-01T00:01:00Z"}, "@created_at:[60.0 +inf]"),  # ISO dates: epoch
    ],
)
def test_each_numeric_operator(spec: dict[str, object], query: str) -> None:
    assert str(numeric_expression("created_at", NumericFilter.model_validate(spec))) == query


def test_combine_ands_the_given_filters_and_skips_the_rest() -> None:
    tags = {"namespace": TagFilter(eq="app"), "user_id": None}
    numbers = {"event_date": NumericFilter(lte=10), "created_at": None}
    assert str(combine(tags, numbers)) == "(@namespace:{app} @event_date:[-inf 10.0])"
    assert combine({"namespace": None}, {"created_at": None}) is None


def test_query_terms_keep_content_words_once_in_order() -> None:
    terms = query_terms("What did I buy at Trader Joe's? TRADER joe's -- a x 2023")
    assert terms == ["buy", "trader", "joe's", "2023"]
    assert query_terms("what did you do?") == []


def test_the_keyword_query_escapes_each_term() -> None:
    query = text_query_string("text", ["joe's", "e-mail", "c.d"])
    assert query == r"@text:(joe\'s | e\-mail | c\.d)"
