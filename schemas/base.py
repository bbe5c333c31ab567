"""Model bases: our own messages forbid extras, external wire models ignore them."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel, to_pascal

from schemas.text import DEFAULT_MAX_TEXT_CHARS, MAX_TEXT_CONTEXT, text_problem

NonEmptyStr = Annotated[str, Field(min_length=1)]
"""Text that must not be empty: record ids and keys, property paths."""


class EventModel(BaseModel):
    """A message tether itself defines: frozen, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WireModel(BaseModel):
    """A record as an external system sends it.

    Extra fields are ignored because systems add fields without notice and we must
    keep reading them; validation still catches wrong types in the fields we map.

    Beyond pydantic's types, every declared field refuses what would be silently
    wrong downstream: ``true`` where a number is due (pydantic reads it as 1),
    NaN and infinities (JSON cannot carry them), and text that is too long
    (the limit comes from the validation context key ``max_text_chars``), holds
    invalid UTF-8 (lone surrogates) or control characters.
    """

    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if not _admits_bool(annotation):
                msg = "a boolean where a number or text is expected"
                raise ValueError(msg)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _text_may_travel(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            context = info.context if isinstance(info.context, dict) else {}
            limit = context.get(MAX_TEXT_CONTEXT, DEFAULT_MAX_TEXT_CHARS)
            problem = text_problem(value, limit)
            if problem is not None:
                raise ValueError(problem)
        return value


class CamelCaseModel(WireModel):
    """A wire model whose fields are camelCase on the wire (``lastChange``).

    Numbers are accepted where text is declared: systems send numeric-looking
    text (post codes, organisation numbers, ids like ``10``) as numbers now and
    then, and it is text to us rather than a reason to dead-letter the record.
    """

    model_config = ConfigDict(alias_generator=to_camel, coerce_numbers_to_str=True)


class PascalCaseModel(WireModel):
    """A wire model whose fields are PascalCase on the wire (``UpdatedAt``).

    Numbers are accepted where text is declared, as in ``CamelCaseModel``.
    """

    model_config = ConfigDict(alias_generator=to_pascal, coerce_numbers_to_str=True)


def _admits_bool(annotation: Any) -> bool:
    if annotation in (bool, Any, object):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_admits_bool(arg) for arg in typing.get_args(annotation))
    return False
