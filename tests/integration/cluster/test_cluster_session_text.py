"""Session text on a Redis Cluster: one index per namespace, the per-session counts summed
over the namespaces a search reaches."""

from tests.integration.test_session_text import *  # noqa: F403
