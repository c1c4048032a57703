"""tests/integration/test_tenant_isolation.py, run against a Redis Cluster."""

from tests.integration.test_tenant_isolation import *  # noqa: F403
