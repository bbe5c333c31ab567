"""A local stand-in of the Membercare API (``https://{tenant}.membercare.no/api``).

systems.md 5 and 9.4. What it imitates: the token exchange
(``GET /api/v1/token?clientApiKey=&personToImpersonate=`` -> ``{"value",
"expiration"}``, then a ``token`` header on every call, 401 without one or after
expiry), the page envelope ``{totalCount, totalPages, previousPageUrl,
nextPageUrl, result}`` with ``page``/``pageSize`` (default 50) and absolute links
back to the stand-in, lists and single records of companies, persons,
organizations, invoices, products and ``addresses/countries``, the
``/debtors?changedAfter=`` feed (persons and companies changed strictly after a
*local* time), and the writes of :mod:`standins.membercare.writes`. Times carry
no offset: they are Norwegian local time, as the real tenants' are.

[assumption] Feed items are the Debtor base fields (``url``,
``debtorAccountNumber``, ``name``, ``addresses``, ``contacts``, ``lastChange``),
ordered by ``lastChange`` then number; the ``url`` tells a person from a company.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.routing import BaseRoute

from standins._http import problem, problem_error
from standins.base import StandIn
from standins.faults import FaultConfig
from standins.membercare.auth import TokenBook
from standins.membercare.fields import (
    DEBTORS,
    KEY_FIELD,
    MEMBERCARE_TZ,
    NEW_RECORDS,
    company_name,
    full_name,
    local_text,
    person_name,
)
from standins.membercare.routes import membercare_routes
from standins.store import Record

DEFAULT_API_KEY = "standin-membercare-client-api-key"
DEFAULT_API_USER = "1"
_INT_KEYS = ("Invoices", "Products")
_FIRST_ID = {"Invoices": 90001, "Products": 11, "Countries": 1, "Organizations": 1}


class MembercareStandIn(StandIn):
    """Membercare on 127.0.0.1; store tables are named like tether's entity types."""

    system: ClassVar[str] = "membercare"
    resources: ClassVar[tuple[str, ...]] = (
        "Countries",
        "Products",
        "Companies",
        "Persons",
        "Organizations",
        "Invoices",
    )
    naive_tz = MEMBERCARE_TZ
    clock_precision: ClassVar[timedelta] = timedelta(milliseconds=1)

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        api_key: str = DEFAULT_API_KEY,
        api_user: str = DEFAULT_API_USER,
        token_ttl_s: float = 3600.0,
    ) -> None:
        self.api_key = api_key
        self.api_user = api_user
        self.tokens: TokenBook = TokenBook(api_key, {api_user}, token_ttl_s)
        super().__init__(port=port, faults=faults)

    # -- auth -------------------------------------------------------------------

    def require_token(self, request: Request) -> str:
        """The impersonated person behind the ``token`` header, else 401."""
        person = self.tokens.person_of(request.headers.get("token", ""))
        if person is None:
            title = "A valid token header is required."
            raise problem_error(401, title)
        return person

    def rate_key(self, request: Request) -> str | None:
        return request.headers.get("token")

    def error_body(self, status: int, message: str) -> Any:
        return problem(status, message)

    def credentials(self) -> dict[str, str]:
        return {"clientApiKey": self.api_key, "personToImpersonate": self.api_user}

    def connector_env(self) -> dict[str, str]:
        return {
            "MEMBERCARE_BASE_URL": f"{self.url}/api",
            "MEMBERCARE_API_KEY": self.api_key,
            "MEMBERCARE_PERSON_TO_IMPERSONATE": self.api_user,
        }

    # -- routes -----------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        return membercare_routes(self)

    # -- helpers for handlers ------------------------------------------------------

    def now_text(self) -> str:
        """A fresh server time, local and without offset (strictly increasing)."""
        return local_text(self.store.tick())

    def path_key(self, resource: str, text: str) -> Any:
        """The store key a path segment names, or None when it cannot name one."""
        if resource in _INT_KEYS:
            return int(text) if text.isdigit() else None
        return text.upper() if resource == "Countries" else text

    def find_country(self, given: Any) -> Record | None:
        """The stored country an address names by ``iso2Letter``, ``id`` or ``name``."""
        if not isinstance(given, dict):
            return None
        for record in self.records("Countries"):
            if not isinstance(record, dict):
                continue
            iso, name = given.get("iso2Letter"), given.get("name")
            if (
                (isinstance(iso, str) and iso.upper() == record.get("iso2Letter"))
                or (given.get("id") is not None and given.get("id") == record.get("id"))
                or (
                    isinstance(name, str)
                    and name.casefold() == str(record.get("name")).casefold()
                )
            ):
                return {
                    k: record.get(k) for k in ("id", "iso2Letter", "iso3Letter", "name")
                }
        return None

    def blank(self, resource: str, key: Any) -> Record:
        """A new record of ``resource`` as the server completes it."""
        layout = NEW_RECORDS.get(resource)
        if layout is None:
            return {}
        number = self.store.next_id(layout.counter, layout.first)
        return layout.new(key, number)

    def save(
        self, resource: str, key: Any, record: Record, *, touch: bool = True
    ) -> Record:
        """Store a record with its derived names and, for debtors, a new lastChange."""
        out = dict(record)
        if resource == "Companies":
            out["name"] = company_name(out)
        elif resource == "Persons":
            out["name"] = person_name(out)
        elif resource == "Organizations":
            out["fullName"] = full_name(out)
        if touch and resource in DEBTORS:
            out["lastChange"] = self.now_text()
        self.store.put(resource, key, out)
        return out

    # -- the handle -------------------------------------------------------------------

    def id_of(self, resource: str, record: Any) -> Any:
        return record.get(KEY_FIELD[resource]) if isinstance(record, dict) else None

    def parse_id(self, resource: str, text: str) -> Any:
        return self.path_key(resource, text)

    def time_field(self, resource: str) -> str:
        return "lastChange"

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        field = KEY_FIELD[resource]
        key = record.get(field)
        if resource in DEBTORS:
            key = key or str(self.store.next_id("debtors", 1001))
            if not isinstance(key, str):
                msg = f"{resource} seed: {field} must be text"
                raise ValueError(msg)
            self.store.reserve_id("debtors", key)
        elif resource in _INT_KEYS or resource == "Organizations":
            if key is None and resource in _INT_KEYS:
                key = self.store.next_id(resource, _FIRST_ID[resource])
            if resource in _INT_KEYS and not isinstance(key, int):
                msg = f"{resource} seed: {field} must be an integer"
                raise ValueError(msg)
            if not key:
                msg = f"{resource} seed: {field} is required"
                raise ValueError(msg)
            if isinstance(key, int):
                self.store.reserve_id(resource, key)
        elif not isinstance(key, str) or len(key) != 2:
            msg = "Countries seed: iso2Letter must be two letters"
            raise ValueError(msg)
        if resource == "Countries":
            key = str(key).upper()
            record.setdefault("id", self.store.next_id("country-ids", 1))
            record.setdefault("iso3Letter", None)
        stored = self.blank(resource, key) | record | {field: key}
        given = record.get("lastChange")
        stored = self.save(resource, key, stored, touch=not given)
        return key, stored

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        merged = record | changes
        return self.save(resource, self.id_of(resource, merged), merged)
