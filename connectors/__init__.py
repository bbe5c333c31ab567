"""Connectors: HTTP clients, sources and sinks for each external system."""
