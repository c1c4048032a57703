"""Which namespaces' indexes a long-term search asks on a cluster (storage/sharded.py): only
those its filter confines it to, or all of them when it names none."""

from __future__ import annotations

from redisvl.query.filter import Num, Tag

from agent_memory_server.storage.filters import namespaces_of


def test_a_filter_that_names_namespaces_confines_the_search_to_them() -> None:
    ns, user = Tag("namespace"), Tag("user_id")
    assert namespaces_of(ns == "travel") == {"travel"}
    assert namespaces_of(ns == ["a", "b"]) == {"a", "b"}
    assert namespaces_of((user == "alice") & (ns == "a:b|c") & (Num("created_at") > 3)) == {"a:b|c"}
    assert namespaces_of((ns == ["a", "b"]) & (ns == ["b", "c"])) == {"b"}
    assert namespaces_of(ns == "we ird-{name}") == {"we ird-{name}"}


def test_any_other_filter_asks_every_namespace() -> None:
    ns, user = Tag("namespace"), Tag("user_id")
    assert namespaces_of(None) is None
    assert namespaces_of(user == "alice") is None
    assert namespaces_of(ns != "a") is None
    assert namespaces_of((ns == "a") | (user == "bob")) is None
