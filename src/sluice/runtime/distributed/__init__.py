"""Distributed mode: a group of workers coordinated through Kafka (``connect-distributed``).

The herder loop (:mod:`.herder`) drives group membership (:mod:`.member`) and the Kafka-topic
backed stores; the leader computes assignments (:mod:`.eager_assignor`,
:mod:`.incremental_assignor`) encoded as Kafka Connect encodes them (:mod:`.protocol`).
"""
