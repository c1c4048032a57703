# syntax=docker/dockerfile:1
# One image for the REST API (default), the MCP server and the task workers:
#   docker build -t agent-memory-server .
#   docker run -p 8000:8000 -v ams-data:/data agent-memory-server            # embedded Redis in /data
#   docker run -e REDIS_URL=redis://host:6379 agent-memory-server agent-memory task-worker
# docker-compose.yml runs the whole stack on Redis 8; see the README's "Deployment" section.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: the locked environment, installed by uv ----------------------------------------
FROM ${PYTHON_IMAGE} AS builder
# Optional extras of pyproject.toml, e.g. --build-arg EXTRAS="--extra bertopic" (model-topics).
ARG EXTRAS=""
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
# Compile bytecode now (faster start), copy files out of uv's cache mount instead of linking,
# and use the image's Python: the runtime stage has the same one at the same path.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# Dependencies first, in a layer that changes only with uv.lock ...
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project ${EXTRAS}
# ... then the project, installed into the environment as a package (not a link to /app).
COPY pyproject.toml uv.lock README.md ./
COPY agent_memory_server ./agent_memory_server
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable ${EXTRAS}

# --- runtime: the environment only, run by an unprivileged user -----------------------------
FROM ${PYTHON_IMAGE} AS runtime
# tini as PID 1 passes `docker stop`'s SIGTERM on and reaps children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home app \
    && mkdir /data \
    && chown app:app /data
COPY --from=builder /app/.venv /app/.venv
# /data (a volume) holds what the server writes: the local embedder's ONNX graph (MODEL_CACHE_DIR
# defaults to /data/models), tiktoken's files (/data/tiktoken) and, without REDIS_URL, the
# embedded Redis server's AOF (/data/redis). A new named volume takes the app user's ownership.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data
VOLUME ["/data"]
USER app
WORKDIR /home/app
EXPOSE 8000 9000
# Fits the default command (the API); docker-compose.yml gives the MCP server and workers theirs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4)"]
ENTRYPOINT ["tini", "--"]
CMD ["agent-memory", "api", "--host", "0.0.0.0", "--port", "8000"]
