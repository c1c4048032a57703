"""tests/integration/test_client_long_term.py, run against a Redis Cluster."""

from tests.integration.test_client_long_term import *  # noqa: F403
