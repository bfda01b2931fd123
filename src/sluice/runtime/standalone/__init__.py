"""Standalone mode: one worker process, connectors from the CLI or REST, offsets in a file."""

from sluice.runtime.standalone.herder import StandaloneHerder

__all__ = ["StandaloneHerder"]
