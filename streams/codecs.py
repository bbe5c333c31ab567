"""Kafka message codecs: pydantic models <-> JSON bytes, keys as UTF-8 text.

A value that fails to decode does not raise inside faust (that would drop or
crash the stream); it becomes an ``Undecodable`` the agent dead-letters.
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from pydantic import BaseModel, ValidationError

from engine.inbound import Undecodable

__all__ = ["ModelSchema", "Undecodable", "encode"]


class ModelSchema(faust.Schema[str, Any]):
    """Decode each topic's values with the pydantic model registered for it."""

    def __init__(self, models: dict[str, type[BaseModel]]) -> None:
        super().__init__(key_serializer="raw", value_serializer="raw")
        self.models = models

    def loads_key(
        self, app: Any, message: Any, *, loads: Any = None, serializer: Any = None
    ) -> str:
        key = message.key
        if isinstance(key, bytes):
            return key.decode("utf-8", "replace")
        return "" if key is None else str(key)

    def loads_value(
        self, app: Any, message: Any, *, loads: Any = None, serializer: Any = None
    ) -> Any:
        model = self.models.get(message.topic)
        if model is None:
            return Undecodable(message.topic, "no model for topic", message.value)
        try:
            return model.model_validate_json(message.value or b"")
        except ValidationError as exc:
            reason = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            return Undecodable(message.topic, reason, message.value)

    def dumps_key(self, app: Any, key: Any, **kwargs: Any) -> tuple[Any, Any]:
        payload = key.encode("utf-8") if isinstance(key, str) else key
        return payload, kwargs.get("headers")

    def dumps_value(self, app: Any, value: Any, **kwargs: Any) -> tuple[Any, Any]:
        payload = encode(value) if isinstance(value, BaseModel) else value
        return payload, kwargs.get("headers")


def encode(model: BaseModel) -> bytes:
    """A model as compact JSON bytes."""
    return orjson.dumps(model.model_dump(mode="json"))
