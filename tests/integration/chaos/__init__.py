"""The chaos suite: delivery guarantees under crashes, broker restarts, faults."""
