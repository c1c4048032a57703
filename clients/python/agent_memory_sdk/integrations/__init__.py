"""Adapters to agent frameworks; each needs the extra of its name."""
