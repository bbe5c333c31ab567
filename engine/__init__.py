"""The flow engine: what happens to one change, as plain functions over small ports.

Knows connectors and schemas, never faust or aiokafka: ``streams`` wires it to Kafka,
and tests drive it with in-memory ports.
"""
