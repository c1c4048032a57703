"""Export and import (the single-node tests), run against a Redis Cluster: an export reads
every namespace's records."""

from tests.integration.test_transfer import *  # noqa: F403
