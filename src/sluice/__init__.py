"""sluice: Kafka Connect, rebuilt in Python.

Connector authors import from :mod:`sluice.api` only; everything else is the runtime.
"""

__version__ = "0.1.0"
