"""The layers hold: storage/ is the only package that talks to Redis or spells a key, and
Docket is driven only by the scheduler and the worker's lifecycle.

Each rule reads the source (AST, not regular expressions over text, where it can), so adding
a Redis call, a key string or a Docket submission anywhere else makes this test fail.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import agent_memory_server
from agent_memory_server.storage.keys import Keys

PACKAGE = Path(agent_memory_server.__file__).parent
STORAGE = PACKAGE / "storage"
# Opens the connection the stores share, and checks the modules at start-up.
LIFECYCLE = {"resources.py"}
# Who may drive Docket: the scheduler (enqueue), the worker, the health checks and the lifecycle.
DOCKET_USERS = {
    "services/scheduler.py", "tasks/worker.py", "tasks/health.py", "services/health.py",
    "resources.py",
}  # fmt: skip
# Modules of redis that are error types (catching them is not talking to Redis).
REDIS_ERRORS = {"redis.exceptions"}


def _modules() -> list[tuple[str, ast.Module, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORAGE in path.parents:
            continue
        text = path.read_text()
        found.append((path.relative_to(PACKAGE).as_posix(), ast.parse(text), text))
    return found


def _key_segments() -> set[str]:
    """The first segment after the prefix of every key, prefix and index name Keys builds."""
    keys = Keys("PREFIX")
    segments = set()
    for name, member in inspect.getmembers(Keys):
        if name.startswith("_") or name in ("prefix", "cluster"):
            continue
        if isinstance(member, property):
            built = getattr(keys, name)
        else:
            arity = len(inspect.signature(member).parameters) - 1
            built = getattr(keys, name)(*["x"] * arity)
        assert built.startswith("PREFIX:"), (name, built)
        segments.add(re.split(r"[:]", built[len("PREFIX:") :])[0])
    return segments


SEGMENTS = _key_segments()
_ALTERNATIVES = "|".join(map(re.escape, sorted(SEGMENTS, key=len, reverse=True)))
# A segment after a ':' (`{prefix}:ltm_idx`, `...:sv:view`), or opening a literal with a ':'.
KEY_LITERAL = re.compile(rf":(?:{_ALTERNATIVES})(?::|$)|^(?:{_ALTERNATIVES}):")


def _redis_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            # `from redis import exceptions` is the error types: name what is imported
            module = node.module
            names = [f"redis.{a.name}" for a in node.names] if module == "redis" else [module]
        else:
            continue
        for name in names:
            if (name == "redis" or name.startswith("redis.")) and name not in REDIS_ERRORS:
                found.append(f"line {node.lineno}: imports {name}")
    return found


def _raw_attributes(tree: ast.Module) -> list[str]:
    """`x.redis` anywhere, `x.keys` other than a call of a mapping's `.keys()`."""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "redis" or (node.attr == "keys" and id(node) not in calls):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def _key_literals(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if KEY_LITERAL.search(text):
            found.append(f"line {node.lineno}: {text[:60]!r}")
    return sorted(set(found))


def _docket_uses(tree: ast.Module) -> list[str]:
    """`Docket(...)`, `docket.add(...)`, or any `x.docket` but the name in `settings.docket`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Docket":
                found.append(f"line {node.lineno}: Docket(...)")
        elif isinstance(node, ast.Attribute) and node.attr == "add":
            if isinstance(node.value, ast.Name) and node.value.id == "docket":
                found.append(f"line {node.lineno}: docket.add")
        elif isinstance(node, ast.Attribute) and node.attr == "docket":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name != "settings":
                found.append(f"line {node.lineno}: .docket")
    return sorted(set(found))


def _violations(check: str) -> dict[str, list[str]]:
    rules = {
        "redis": lambda path, tree: [] if path in LIFECYCLE else _redis_imports(tree),
        "raw": lambda path, tree: [] if path in LIFECYCLE else _raw_attributes(tree),
        "keys": lambda path, tree: _key_literals(tree),
        "docket": lambda path, tree: [] if path in DOCKET_USERS else _docket_uses(tree),
    }
    found = {}
    for path, tree, _ in _modules():
        problems = rules[check](path, tree)
        if problems:
            found[path] = problems
    return found


@pytest.mark.parametrize("check", ["redis", "raw", "keys", "docket"])
def test_only_storage_talks_to_redis_and_only_the_scheduler_to_docket(check: str) -> None:
    assert _violations(check) == {}


def test_the_rules_catch_what_they_forbid() -> None:
    """Each rule fires on a line that breaks it (so the test above cannot pass vacuously)."""
    bad = ast.parse(
        "from redis.asyncio import Redis\n"
        "async def f(resources):\n"
        "    await resources.redis.get(resources.keys.schema_version)\n"
        "    key = f'{prefix}:ltm_hash:{owner}'\n"
        "    index = prefix + ':wm_idx'\n"
        "    await resources.docket.add(task)()\n"
        "    Docket(name='d', url='u')\n"
    )
    assert _redis_imports(bad) == ["line 1: imports redis.asyncio"]
    assert [p.split(": ")[1] for p in _raw_attributes(bad)] == [".redis", ".keys"]
    assert {p.split(":")[0] for p in _key_literals(bad)} == {"line 4", "line 5"}
    assert [p.split(": ")[1] for p in _docket_uses(bad)] == [".docket", "Docket(...)"]
    assert _docket_uses(ast.parse("docket.add(t)\nname = settings.docket\n")) == [
        "line 1: docket.add"
    ]
    fine = ast.parse(
        "from redis.exceptions import RedisError\n"
        "from redis import exceptions\n"
        "def g(d):\n"
        "    return list(d.keys()), 'memory: a note', 'namespace:user'\n"
    )
    assert (_redis_imports(fine), _raw_attributes(fine), _key_literals(fine)) == ([], [], [])
    assert {"wm", "ltm", "ltm_hash", "auth_token", "sv", "maintenance"} <= SEGMENTS
