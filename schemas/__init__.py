"""Pure pydantic models: the change-event envelope, wire models, flow definitions."""
