"""Ports of the Java platform behaviour Kafka's bytes and messages depend on.

Kafka Connect prints numbers with ``Double.toString``, dates with ``SimpleDateFormat`` over a
hybrid Julian/Gregorian calendar, JSON with Jackson's escapes, and lists some things in
``HashSet`` order. Matching its output byte for byte means reproducing those rules, and they live
here, one module per family: :mod:`~sluice.jdk.numbers`, :mod:`~sluice.jdk.dates`,
:mod:`~sluice.jdk.date_format`, :mod:`~sluice.jdk.hashing` and :mod:`~sluice.jdk.jackson`.

This package sits below :mod:`sluice.api` and imports no other sluice package. Its errors are
``ValueError`` subclasses of its own; the Connect layers translate them into their error tree.
"""
