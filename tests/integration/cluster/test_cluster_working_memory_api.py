"""tests/integration/test_working_memory_api.py, run against a Redis Cluster."""

from tests.integration.test_working_memory_api import *  # noqa: F403
