"""The embedded worker as a child process (the default): `agent-memory api` started as a real
process runs the background pipeline in a niced child confined to the last core, notices when
it dies, brings it back, and leaves no child behind when it stops or is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import SERVER_START_SECONDS, start_api


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat fields from the state on (field 3), None once the pid is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _workers_of(parent: int) -> list[int]:
    """Live task-worker processes whose parent is `parent`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is None or fields[0] == "Z" or int(fields[1]) != parent:
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"task-worker" in command:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _nice(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[16]) if fields else 0  # field 19 of stat


async def _until(what: str, check: Any, seconds: float = SERVER_START_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check() if asyncio.iscoroutinefunction(check) else check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {seconds:g} s"
        await asyncio.sleep(0.2)


@contextmanager
def api_process(
    redis_url: str, data_dir: Path, log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`agent-memory api` with default worker settings; the process and its URL."""
    process, url = start_api(redis_url, data_dir, log, LOG_LEVEL="INFO")
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def _ready(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/v1/health/ready")
    body: dict[str, Any] = response.json()
    body["code"] = response.status_code
    return body


async def test_the_api_runs_the_pipeline_in_a_niced_confined_child_and_restarts_it(
    redis_url: str, shared_data_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "api.log"
    with api_process(redis_url, shared_data_dir, log) as (api, url):
        worker = (await _until("a worker child", lambda: _workers_of(api.pid)))[0]
        await _until("the child at nice 10", lambda: _nice(worker) >= 10)
        cores = sorted(os.sched_getaffinity(0))
        last = {cores[-1]} if len(cores) > 1 else set(cores)  # EMBEDDED_WORKER_CORES=1
        await _until("the child on the last core", lambda: os.sched_getaffinity(worker) == last)
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            # promotion and local entity extraction, done by the child
            body = {
                "messages": [{"role": "user",
                              "content": "My sister Maria is moving to Berlin for Siemens."}],
                "memories": [{"id": "pref", "text": "Sam prefers trains to planes in Europe."}],
                "namespace": "home", "user_id": "sam",
            }  # fmt: skip
            put = await http.put("/v1/working-memory/s", json=body)
            assert put.status_code == 200, put.text

            async def promoted() -> dict[str, Any] | None:
                got = await http.get("/v1/long-term-memory/pref")
                return got.json() if got.status_code == 200 else None

            record = await _until("the promoted memory", promoted)
            assert record["namespace"] == "home" and record["user_id"] == "sam"

            async def extracted() -> bool:
                session = (await http.get("/v1/working-memory/s")).json()
                return bool(session["extraction_status"]["state"] == "done")

            await _until("extraction of the message", extracted)
            threads = [int(t) for t in os.listdir(f"/proc/{worker}/task")]  # the models' too
            assert len(threads) > 1
            assert all(os.sched_getaffinity(t) == last for t in threads)
            found = await http.post("/v1/long-term-memory/search", json={
                "text": "Where is Maria moving?", "namespace": {"eq": "home"},
                "user_id": {"eq": "sam"}, "limit": 5})  # fmt: skip
            texts = " ".join(m["text"] for m in found.json()["memories"])
            assert "Berlin" in texts
            metrics = (await http.get("/metrics")).text  # the child's task runs are counted
            assert any(
                line.startswith("agent_memory_task_runs_total")
                and 'task="process_session"' in line
                and 'outcome="success"' in line
                for line in metrics.splitlines()
            ), metrics

            # the child dies: readiness says so, and the API starts another
            assert (await _ready(http))["code"] == 200
            os.kill(worker, signal.SIGKILL)

            async def reported() -> dict[str, Any] | None:
                ready = await _ready(http)
                return ready if ready["code"] == 503 else None

            down = await _until("readiness reporting the dead worker", reported, 30)
            assert "killed by signal 9" in down["checks"]["worker"]
            replacement = (await _until("a new worker child", lambda: _workers_of(api.pid), 120))[0]
            assert replacement != worker

            async def back() -> bool:
                return bool((await _ready(http))["code"] == 200)

            await _until("readiness once the new child runs", back)
            assert "restarting it in" in log.read_text()

        # stopping the API stops the child with it
        api.send_signal(signal.SIGTERM)
        assert api.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        assert "Application shutdown complete" in log.read_text()
        assert not _alive(replacement), "the worker child outlived the API"


async def test_a_killed_api_leaves_no_worker_behind(
    redis_url: str, shared_data_dir: Path, tmp_path: Path
) -> None:
    with api_process(redis_url, shared_data_dir, tmp_path / "api.log") as (api, _):
        worker = (await _until("a worker child", lambda: _workers_of(api.pid)))[0]
        api.kill()  # no chance to clean up
        api.wait()
        await _until("the orphaned child to exit", lambda: not _alive(worker), 60)
