"""The `agent-memory` command (Typer).

`main` holds the commands (each imports what it needs when it runs); `tokens` and `transfer`
add command groups; `common` has what they share.
"""

from agent_memory_server.cli.main import app

__all__ = ["app"]
