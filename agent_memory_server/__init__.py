"""agent-memory-server: working and long-term memory for AI agents over REST and MCP."""

__version__ = "0.1.0"
