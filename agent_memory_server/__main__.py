"""`python -m agent_memory_server` runs the CLI."""

from agent_memory_server.cli import app

app()
