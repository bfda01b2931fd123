"""Format readers: each turns one claimed file into records with resume points."""

from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint

__all__ = ["Item", "RecordReader", "ResumePoint"]
