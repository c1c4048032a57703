"""Cold start, as clients and users meet it: wall-clock time from spawning a process until it
answers. `agent-memory version` and `--help`; the stdio MCP server's `initialize` + `tools/list`
(what Claude Desktop or Cursor does when it starts); `agent-memory api` until `/v1/health`
answers 200, and until the first semantic search answers (the models load in the background).

Each is a median of `--runs` spawns on one data directory, after one unmeasured start that
builds the ONNX graph cache (a user's second start onwards). Default settings otherwise
(embedded Redis and worker, local models). `--code DIR` runs another source tree (e.g. main).
Beside each wall-clock time, the CPU time the process had used by then (user + system, all
its threads; not the embedded Redis): on a shared machine the wall time is mostly waiting for
a core, and the CPU time is what the same start would take on an idle one.

    uv run python -m benchmarks.cold_start [--runs 5] [--code DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent_memory_server", *args]


# The children run in the data directory: `python -m` puts the working directory first on
# sys.path, which would shadow `--code` with the tree the benchmark was started from.
def _env(data_dir: Path, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", "LLM_PROVIDER": "none"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


Timing = tuple[float, float]  # (wall-clock s, CPU s of the process by then)


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc), all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_command(env: dict[str, str], *args: str) -> Timing:
    start = time.perf_counter()
    before = os.times()
    subprocess.run(_command(*args), env=env, check=True, capture_output=True, cwd=env["DATA_DIR"])
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - start, cpu


def _frame(message: dict[str, Any]) -> bytes:
    return (json.dumps(message) + "\n").encode()


def time_stdio(env: dict[str, str]) -> Timing:
    """Spawn -> the reply to tools/list (initialize, initialized, tools/list written at once)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        _command("mcp", "--mode", "stdio"), env=env, cwd=env["DATA_DIR"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    initialize = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "cold-start", "version": "0"},
        },
    }  # fmt: skip
    process.stdin.write(_frame(initialize))
    process.stdin.flush()
    try:
        while True:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the stdio server exited")
            reply = json.loads(line)
            if reply.get("id") == 1:
                process.stdin.write(
                    _frame({"jsonrpc": "2.0", "method": "notifications/initialized"})
                    + _frame({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
                )
                process.stdin.flush()
            elif reply.get("id") == 2:
                elapsed = time.perf_counter() - start
                assert reply["result"]["tools"], reply
                return elapsed, _cpu_of(process.pid)
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        status: int = response.status
        return status


def time_api(env: dict[str, str]) -> tuple[Timing, Timing]:
    """Spawn -> /v1/health 200, and spawn -> the first semantic search's answer."""
    port = _free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        _command("api", "--port", str(port)), env=env, cwd=env["DATA_DIR"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if _get(f"{base}/v1/health") == 200:
                    break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 120:
                    raise RuntimeError("the API did not start") from None
                time.sleep(0.02)
        ready = time.perf_counter() - start, _cpu_of(process.pid)
        body = json.dumps({"text": "what does the user like", "search_mode": "semantic"})
        request = urllib.request.Request(
            f"{base}/v1/long-term-memory/search", data=body.encode(), method="POST",
            headers={"content-type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200
        return ready, (time.perf_counter() - start, _cpu_of(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", type=Path, default=None, help="run this source tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ams-cold-") as tmp:
        env = _env(Path(tmp), args.code)
        time_api(env)  # builds the ONNX graph cache and the indexes: a user's first start
        rows: dict[str, list[Timing]] = {
            "agent-memory version": [], "agent-memory --help": [],
            "stdio: initialize + tools/list": [], "api: /v1/health 200": [],
            "api: first semantic search answered": [],
        }  # fmt: skip
        for _ in range(args.runs):
            rows["agent-memory version"].append(time_command(env, "version"))
            rows["agent-memory --help"].append(time_command(env, "--help"))
            rows["stdio: initialize + tools/list"].append(time_stdio(env))
            ready, searched = time_api(env)
            rows["api: /v1/health 200"].append(ready)
            rows["api: first semantic search answered"].append(searched)
    load = os.getloadavg()
    print(f"cold start, median of {args.runs} (s); load average {load[0]:.1f} {load[1]:.1f}")
    print(f"  {'':38s} {'wall':>6s}   {'(min)':>6s}   {'CPU':>6s}")
    for name, values in rows.items():
        walls, cpus = [v[0] for v in values], [v[1] for v in values]
        print(
            f"  {name:38s} {statistics.median(walls):6.2f}   ({min(walls):.2f})"
            f"   {statistics.median(cpus):6.2f}"
        )


if __name__ == "__main__":
    main()
