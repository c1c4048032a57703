"""tests/integration/test_summary_views.py, run against a Redis Cluster."""

from tests.integration.test_summary_views import *  # noqa: F403
