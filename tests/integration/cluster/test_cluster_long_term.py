"""The long-term memory API's own tests, run against a Redis Cluster."""

from tests.integration.test_long_term_api import *  # noqa: F403
