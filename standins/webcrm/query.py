"""The small slice of webCRM's ``/Queries`` SQL dialect the stand-in understands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from standins.webcrm.fields import parse_time

# Table name in the script -> entity path name.
TABLES: dict[str, str] = {
    "organisation": "Organisations",
    "person": "Persons",
    "product": "Products",
}

_SCRIPT = re.compile(
    r"""^\s*SELECT\s+\*\s+FROM\s+(?P<table>\w+)
        (?:\s+WHERE\s+(?P<field>\w+)\s*>=\s*'(?P<since>[^']*)')?
        (?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<direction>ASC|DESC))?)?
        \s*;?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


class QueryError(ValueError):
    """The script is outside what the stand-in supports; the message says how."""


@dataclass(frozen=True)
class Query:
    """A parsed script: which entity, since when, and in which order."""

    entity: str
    since: datetime | None
    ordered: bool
    descending: bool


def parse_script(script: str) -> Query:
    """Parse ``SELECT * FROM X [WHERE XUpdatedAt >= '...'] [ORDER BY XUpdatedAt]``."""
    match = _SCRIPT.match(script)
    if match is None:
        msg = (
            "Unsupported query. Supported: SELECT * FROM {Organisation|Person|Product}"
            " [WHERE {Table}UpdatedAt >= '<ISO date>'] [ORDER BY {Table}UpdatedAt"
            " [ASC|DESC]]"
        )
        raise QueryError(msg)
    table = match["table"].lower()
    entity = TABLES.get(table)
    if entity is None:
        msg = f"Invalid object name '{match['table']}'."
        raise QueryError(msg)
    updated = f"{table}updatedat"
    since = None
    if match["field"] is not None:
        if match["field"].lower() != updated:
            msg = f"Filtering is only supported on {table.title()}UpdatedAt."
            raise QueryError(msg)
        since = parse_time(match["since"])
        if since is None:
            msg = f"Conversion failed when converting '{match['since']}' to datetime."
            raise QueryError(msg)
    if match["order"] is not None and match["order"].lower() != updated:
        msg = f"Ordering is only supported on {table.title()}UpdatedAt."
        raise QueryError(msg)
    return Query(
        entity=entity,
        since=since,
        ordered=match["order"] is not None,
        descending=(match["direction"] or "").upper() == "DESC",
    )
