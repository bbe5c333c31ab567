"""Tidsbanken property tables (systems.md 3.2, 9.2) and their OData-like validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from standins.store import Record

TIME_FIELD = "SistEndretDato"
_STR, _INT, _BOOL = "Edm.String", "Edm.Int32", "Edm.Boolean"

FIELDS: dict[str, dict[str, str]] = {
    "Kunde": {
        name: _STR
        for name in [
            "Id",
            "Navn",
            "Organisasjonsnummer",
            "Epost",
            "Telefon",
            "Mobil",
            "Url",
            "Gateadresse",
            "Postadresse",
            "Postnr",
            "Poststed",
            "Leveringsadresse",
            "Leveringsadresse2",
            "LevPostNr",
            "LevPoststed",
        ]  # fmt: skip
    },
    "Avdeling": {
        "Id": _STR,
        "Navn": _STR,
        "Adresse": _STR,
        "Postnr": _STR,
        "Poststed": _STR,
        "Organisasjonsnr": _STR,
        "Avdelingsleder": _INT,
        "Synlig": _BOOL,
    },
}
"""Writable properties per entity, with their EDM types (``SistEndretDato`` aside)."""

_EMPTY: dict[str, Any] = {_STR: "", _INT: None, _BOOL: True}


def odata_error(message: str, code: str = "") -> dict[str, Any]:
    """OData's error body."""
    return {"error": {"code": code, "message": message}}


def blank(entity: str) -> Record:
    """Every property at its empty value: ``""`` text, no leader, visible."""
    return {name: _EMPTY[kind] for name, kind in FIELDS[entity].items()} | {
        TIME_FIELD: None
    }


def format_label(moment: datetime) -> str:
    """``2024-03-01T10:15:30.123Z``; whole seconds drop the fraction (``...:56Z``)."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    text = text.replace("+00:00", "Z")
    return text.replace(".000Z", "Z")


def _fits(kind: str, value: Any) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    return isinstance(value, int) and not isinstance(value, bool)


def check(entity: str, body: Any, *, inserting: bool) -> tuple[Record, str | None]:
    """The known properties of ``body``, or the first problem in OData's words.

    An insert must carry a non-empty ``Id`` and no ``null`` (Sesam: "Tidsbanken API
    does not seem like null values at insert"); ``SistEndretDato`` is the server's
    and is ignored when sent.
    """
    if not isinstance(body, dict):
        return {}, f"expected a JSON object for Tidsbanken.{entity}"
    table = FIELDS[entity]
    clean: Record = {}
    for name, value in body.items():
        if name == TIME_FIELD or name.startswith("@odata."):
            continue
        kind = table.get(name)
        if kind is None:
            return {}, f"The property '{name}' does not exist on type '{entity}'."
        if value is None:
            if inserting:
                return {}, f"The property '{name}' cannot be null on insert."
            clean[name] = _EMPTY[kind] if kind == _STR else None
            continue
        if not _fits(kind, value):
            shown = orjson.dumps(value).decode()[:40]
            return {}, f"Cannot convert {shown} to the expected type '{kind}'."
        clean[name] = value
    if inserting and not clean.get("Id"):
        return {}, f"The key property 'Id' of '{entity}' is required on insert."
    return clean, None
