"""ASGI middleware shared by the REST app and the MCP HTTP server.

auth (tokens, JWT), limits (body size), observer (request log and metrics).
"""
