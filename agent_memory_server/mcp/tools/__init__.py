"""MCP tools, one module per resource; each module's `register(server)` adds its tools."""
