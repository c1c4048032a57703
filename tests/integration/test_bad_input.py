"""Input that cannot be stored or echoed is refused at the door with a 4xx JSON body that says
what was wrong, over REST and MCP, and nothing stored changes (issue: 500s on lone
surrogates, 1e400, NaN and deep nesting)."""

from __future__ import annotations

from typing import Any

import pytest

from agent_memory_server.models.json_values import MAX_JSON_DEPTH
from tests.conftest import AppClient
from tests.support.mcp import raw_tool_call

SURROGATE = '"a\\ud800b"'  # a lone UTF-16 surrogate, as a JSON text escape


def _nested(levels: int) -> str:
    return '{"x": ' * levels + "1" + "}" * levels


def fill(template: str, value: str) -> str:
    return template.replace("@", value)


SESSION = '{"messages": [{"role": "user", "content": @}]}'
MEMORY = '{"memories": [{"text": @}]}'
SEARCH = '{"text": @}'

CASES: list[tuple[str, str, str, str]] = [
    ("surrogate in message content", "PUT", "/v1/working-memory/s1", fill(SESSION, SURROGATE)),
    ("surrogate in memory text", "POST", "/v1/long-term-memory/", fill(MEMORY, SURROGATE)),
    ("surrogate in search text", "POST", "/v1/long-term-memory/search", fill(SEARCH, SURROGATE)),
    ("surrogate in an append", "POST", "/sessions/s1/memory", fill(SESSION, SURROGATE)),
    ("surrogate as a key", "PUT", "/v1/working-memory/s1", fill('{"data": {@: 1}}', SURROGATE)),
    ("low surrogate, upper-case escape", "PUT", "/v1/working-memory/s1",
     fill(SESSION, '"x\\uDC00"')),
    ("limit 1e400", "POST", "/v1/long-term-memory/search", '{"text": "x", "limit": 1e400}'),
    ("threshold NaN", "POST", "/v1/long-term-memory/search",
     '{"text": "x", "distance_threshold": NaN}'),
    ("Infinity", "POST", "/v1/long-term-memory/search", '{"text": "x", "limit": -Infinity}'),
    ("data nested 200 levels", "PUT", "/v1/working-memory/s1", fill('{"data": @}', _nested(200))),
    ("data nested 900 levels", "PUT", "/v1/working-memory/s1", fill('{"data": @}', _nested(900))),
    ("data nested 5000 levels", "PUT", "/v1/working-memory/s1", fill('{"data": @}', _nested(5000))),
    ("metadata nested past the limit", "POST", "/v1/long-term-memory/",
     fill('{"memories": [{"text": "t", "metadata": @}]}', _nested(MAX_JSON_DEPTH + 1))),
    ("invalid UTF-8", "POST", "/v1/long-term-memory/search", '{"text": "\udcff"}'),
]  # fmt: skip


async def _state(app: AppClient) -> tuple[Any, Any]:
    session = (await app.http.get("/v1/working-memory/s1")).json()
    session.pop("last_accessed")  # the read itself moves it
    found = await app.http.post("/v1/long-term-memory/search", json={"text": "", "limit": 100})
    return session, sorted(m["text"] for m in found.json()["memories"])


@pytest.mark.parametrize(("what", "method", "path", "body"), CASES, ids=[c[0] for c in CASES])
async def test_unstorable_input_is_a_4xx_and_changes_nothing(
    app: AppClient, what: str, method: str, path: str, body: str
) -> None:
    seeded = await app.http.put(
        "/v1/working-memory/s1",
        json={"messages": [{"role": "user", "content": "kept"}], "data": {"k": 1}},
    )
    assert seeded.status_code == 200
    stored = await app.http.post("/v1/long-term-memory/", json={"memories": [{"text": "kept"}]})
    assert stored.status_code == 200
    before = await _state(app)
    raw = body.encode("utf-8", "surrogateescape")  # the invalid-UTF-8 case keeps its raw byte
    response = await app.http.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, (what, response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    said = " ".join(str(d.get("msg", "")) + " " + str(d.get("ctx", "")) for d in detail)
    assert any(
        word in said
        for word in ("surrogate", "finite", "number", "nest", "UTF-8", "Unicode", "inf")
    ), (what, said)
    assert await _state(app) == before, what


async def test_the_fuzzers_echo_survives_every_unsendable_input(app: AppClient) -> None:
    """A validation error on an input that cannot be echoed still answers 422 with the error
    (its input left out), not a 500."""
    response = await app.http.post(
        "/v1/long-term-memory/search", content=b'{"text": "x", "limit": 1e300}',
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422  # a finite number, out of bounds: echoed as usual
    assert response.json()["detail"][0]["input"] == 1e300


async def test_mcp_refuses_unstorable_arguments(app: AppClient) -> None:
    """Over streamable HTTP, with the arguments as raw JSON text (the MCP SDK's JSON parser
    takes NaN, 1e400 and deep nesting; an escaped lone surrogate is its own parse error)."""
    status, frame = await raw_tool_call(
        app.http, "create_long_term_memories", fill('{"memories": [{"text": @}]}', SURROGATE)
    )
    assert status == 400 and frame["error"]["code"] == -32700, frame  # JSON-RPC parse error
    deep = fill('{"session_id": "s2", "data": @}', _nested(MAX_JSON_DEPTH + 2))
    for tool, arguments, word in [
        ("search_long_term_memory", '{"text": "x", "distance_threshold": NaN}', "finite"),
        ("search_long_term_memory", '{"text": "x", "limit": 1e400}', "finite"),
        ("set_working_memory", deep, "nest"),
    ]:  # fmt: skip
        status, frame = await raw_tool_call(app.http, tool, arguments)
        assert status == 200, frame
        result = frame["result"]
        assert result["isError"] is True, frame
        text = result["content"][0]["text"]
        assert text.startswith("Invalid input") and word in text, text
    assert (await app.http.get("/v1/working-memory/s2")).status_code == 404
    found = await app.http.post("/v1/long-term-memory/search", json={"text": ""})
    assert found.json()["memories"] == []


async def test_what_the_fuzzer_found(app: AppClient) -> None:
    """make api-fuzz found these two 500s: a listing paged past RediSearch's 1,000,000 results,
    and a tag filter value with a control character (the query parser takes none)."""
    far = await app.http.get("/sessions/", params={"page": 31683, "size": 100})
    assert far.status_code == 400 and "1,000,000" in far.json()["detail"], far.text
    for body in (
        {"text": "x", "search_mode": "hybrid", "topics": {"any": ["\x04ok"]}},
        {"text": "x", "entities": {"eq": "a\x00b"}},
    ):
        refused = await app.http.post("/long-term-memory/search", json=body)
        assert refused.status_code == 422, refused.text
    fine = await app.http.post(
        "/v1/long-term-memory/search", json={"text": "x", "topics": {"any": ["Âà|I3U"]}}
    )
    assert fine.status_code == 200, fine.text
