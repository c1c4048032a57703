"""Schemathesis over the OpenAPI schema against a real server: no input may get a 5xx.

Starts an embedded Redis and `agent-memory api` as a user would (benchmarks/harness.py), then
runs `schemathesis run` with the `not_a_server_error` check on every operation. Its hooks
(tests/fuzz/unrepresentable.py) put values the server cannot store into every other body: lone
surrogates, NaN, Infinity, 1e400, deep nesting.

    make api-fuzz        (or: uv run python -m tests.fuzz.api [--max-examples 50])
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import running_server

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=30)
    args = parser.parse_args()
    schemathesis = str(Path(sys.executable).with_name("schemathesis"))  # this environment's
    with running_server(EMBEDDED_WORKER="true", TRACK_ACCESS="true") as server:
        command = [
            schemathesis, "run", f"{server.url}/openapi.json",
            "--checks", "not_a_server_error", "--max-examples", str(args.max_examples),
            "--request-timeout", "60", "--generation-deterministic",
        ]  # fmt: skip
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.unrepresentable"}
        return subprocess.run(command, check=False, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
