"""Kafka message codecs: pydantic models <-> JSON bytes, keys as UTF-8 text.

A value that fails to decode does not raise inside faust (that would drop or
crash the stream); it becomes an ``Undecodable`` the agent dead-letters. A
value too large for a Kafka message is measured here (``message_size``) and,
for the side channels, cut down to fit (``fit``).
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from pydantic import BaseModel, ValidationError

from engine.inbound import Undecodable

__all__ = ["ModelSchema", "Undecodable", "encode", "fit", "message_size"]

# What a cut value keeps beyond its excerpt: the note of its size, quotes, keys.
_NOTE_BYTES = 160


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


def message_size(key: bytes | None, value: bytes | None) -> int:
    """The size aiokafka counts against ``max_request_size`` for one message."""
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, []))


def fit(model: BaseModel, limit: int) -> bytes:
    """``model`` as JSON of at most ``limit`` bytes: its bulkiest fields cut down.

    For side-channel messages (dead letters, conflicts, reports), whose point is
    to be read by an operator: a 2 MB payload is cut to an excerpt that says how
    large it was, rather than failing the send. Text keeps its start, a list its
    first items, anything else (a record) becomes ``{"truncated_bytes": n,
    "starts": "<its JSON, cut>"}``. The result is checked against the model, so
    a consumer still decodes it.

    Raises:
        ValueError: Even with every field cut it does not fit (a tiny limit).
    """
    data = model.model_dump(mode="json")
    raw = orjson.dumps(data)
    cut: set[str] = set()
    while len(raw) > limit:
        sizes = {
            name: len(orjson.dumps(value))
            for name, value in data.items()
            if name not in cut
        }
        if not sizes:
            msg = f"{type(model).__name__} does not fit in {limit} bytes"
            raise ValueError(msg)
        name = max(sizes, key=sizes.__getitem__)
        room = max(0, sizes[name] - (len(raw) - limit) - _NOTE_BYTES)
        data[name] = _shorten(data[name], room, sizes[name])
        cut.add(name)
        raw = orjson.dumps(data)
    if cut:
        type(model).model_validate(data)  # still what its topic's consumers expect
    return raw


def _shorten(value: Any, room: int, size: int) -> Any:
    """``value`` in about ``room`` bytes of JSON (``size``: its JSON size now)."""
    if isinstance(value, str):
        return f"{_clip(value, room)}... [truncated, {len(value)} characters]"
    if isinstance(value, list):
        kept: list[Any] = []
        used = 2
        for item in value:
            used += len(orjson.dumps(item)) + 1
            if used > room:
                break
            kept.append(item)
        return kept
    text = orjson.dumps(value).decode()
    return {"truncated_bytes": size, "starts": _clip(text, room)}


def _clip(text: str, room: int) -> str:
    """The longest start of ``text`` whose JSON takes at most ``room`` bytes."""
    clipped = text[: max(0, room - 2)]
    while clipped and len(orjson.dumps(clipped)) > room:
        clipped = clipped[: len(clipped) * 3 // 4]
    return clipped
