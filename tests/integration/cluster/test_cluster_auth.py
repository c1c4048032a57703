"""tests/integration/test_auth.py, run against a Redis Cluster."""

from tests.integration.test_auth import *  # noqa: F403
