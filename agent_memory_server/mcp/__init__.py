"""The MCP door: tools over the same services as the REST API."""
