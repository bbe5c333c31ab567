"""Every wire model of the seven systems refuses text and numbers that cannot travel."""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.base import WireModel
from schemas.catalog import SYSTEMS
from schemas.text import DEFAULT_MAX_TEXT_CHARS, scrub, text_problem


def _models() -> list[type[WireModel]]:
    found: dict[str, type[WireModel]] = {}
    for system in SYSTEMS:
        module = importlib.import_module(f"schemas.{system}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, WireModel)
                and value.__module__ == module.__name__
            ):
                found[f"{system}.{name}"] = value
    return [found[key] for key in sorted(found)]


def _fields(model: type[WireModel], kind: type) -> list[str]:
    """Wire names of the fields whose annotation is ``kind`` (or optional)."""
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = typing.get_args(annotation)
        if annotation is kind or (
            typing.get_origin(annotation) in (typing.Union, types.UnionType)
            and kind in args
            and bool not in args
        ):
            names.append(field.alias or name)
    return names


MODELS = _models()
TEXT = [(m, f) for m in MODELS for f in _fields(m, str)[:1]]
NUMBERS = [(m, f) for m in MODELS for f in (_fields(m, float) + _fields(m, int))[:1]]


def _errors(model: type[WireModel], field: str, value: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({field: value})
    return {
        ".".join(map(str, e["loc"])): e["msg"]
        for e in caught.value.errors(include_input=False, include_url=False)
    }


def test_all_seven_systems_have_models_under_test() -> None:
    assert {m.__module__.rpartition(".")[2] for m, _ in TEXT} == set(SYSTEMS)
    assert len(NUMBERS) >= 7


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("nul\x00byte", "control character U+0000"),
        ("bad \udcff bytes", "invalid UTF-8"),
        ("x" * (DEFAULT_MAX_TEXT_CHARS + 1), "more than the limit of 32768"),
    ],
)
@pytest.mark.parametrize(
    ("model", "field"), TEXT, ids=lambda x: getattr(x, "__name__", x)
)
def test_text_that_cannot_travel_is_refused_naming_the_field(
    model: type[WireModel], field: str, value: str, says: str
) -> None:
    message = _errors(model, field, value)[field]
    # Constrained text (a pattern, a minimum length) is refused by pydantic itself.
    assert says in message or "unable to parse raw data as a unicode" in message


@pytest.mark.parametrize("value", [True, "NaN", "Infinity", float("-inf")])
@pytest.mark.parametrize(
    ("model", "field"), NUMBERS, ids=lambda x: getattr(x, "__name__", x)
)
def test_numbers_refuse_booleans_and_non_finite_values(
    model: type[WireModel], field: str, value: Any
) -> None:
    assert field in _errors(model, field, value)


def test_tabs_and_newlines_are_text() -> None:
    assert text_problem("line one\r\n\tline two") is None
    assert (
        text_problem("x" * 10, max_chars=9) == "10 characters, more than the limit of 9"
    )


def test_scrub_keeps_ordinary_values() -> None:
    value = {"a": [1, 2.5, None, True, "tekst"], 3: "tre"}
    assert scrub(value) == {"a": [1, 2.5, None, True, "tekst"], "3": "tre"}
    assert scrub(("x",)) == ["x"]
    assert scrub(object()).startswith("<object object")
