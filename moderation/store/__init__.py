"""The data layer: every Redis key name, the comment records and their indexes, the queues and the counters."""
