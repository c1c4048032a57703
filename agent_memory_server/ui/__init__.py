"""The memory workbench: a static page and ES modules served at /ui, calling the REST API."""
