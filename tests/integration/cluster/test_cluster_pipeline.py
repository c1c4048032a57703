"""tests/integration/test_pipeline.py, run against a Redis Cluster."""

from tests.integration.test_pipeline import *  # noqa: F403
