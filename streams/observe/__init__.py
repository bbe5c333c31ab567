"""Operators' views of a running deployment, read from its Kafka topics."""
