"""Errors the transforms raise where Kafka's data API would, with Kafka's messages."""

from __future__ import annotations

from sluice.api.errors import DataError

__all__ = ["no_struct_fields"]


def no_struct_fields() -> DataError:
    """What Kafka raises when a transform lists the fields of a non-struct schema."""
    return DataError("Cannot list fields on non-struct type")
