"""Keyword scores on a Redis Cluster (every primary gets the union setting)."""

from tests.integration.test_keyword_scores import *  # noqa: F403
