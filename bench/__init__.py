"""The side-by-side benchmark of sluice and Apache Kafka Connect (``python -m bench``)."""
