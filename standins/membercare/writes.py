"""Membercare write endpoints, exactly as systems.md 5.1 and 9.4 list them.

Companies: ``POST`` (refusing the fields the swagger says it must not carry),
``PUT /{dan}`` (CompanyPut: fields left out are cleared), ``POST /{dan}/addresses``.
Persons: ``POST`` upsert, ``PATCH /{dan}`` (PersonPatch: ``firstName``...),
``POST /{dan}/addresses``. Organizations: ``POST``, ``PATCH /{idNo}``. Invoices:
``PATCH``/``PUT /{id}`` of ``financeStatus`` only. Everything else is 405: the
routes exist only for the methods the API has.

[assumption] A posted address replaces the current address of the same
``addressType`` in place (the list holds current addresses only); others are
appended. Unknown fields are ignored in POST/PUT bodies, as ASP.NET does, but
refused in PATCH bodies, where ignoring one would silently drop an update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    json_body,
    problem_error,
    query_value,
)
from standins.membercare.fields import (
    COMPANY_CREATE_FORBIDDEN,
    COMPANY_FIELDS,
    COMPANY_PUT_FIELDS,
    FINANCE_STATUSES,
    ORGANIZATION_FIELDS,
    ORGANIZATION_PATCH_FIELDS,
    PERSON_FIELDS,
    PERSON_PATCH_FIELDS,
    api_root,
    check,
    patch_kinds,
    render,
)
from standins.store import Record

if TYPE_CHECKING:
    from standins.membercare.app import MembercareStandIn

Handler = Callable[[Request], Awaitable[Response]]
# Posted separately (``/{dan}/addresses``), never inside a person or organization.
_LISTS = ("addresses", "contacts")
_ADDRESS_TEXT = [
    "attention",
    "careOf",
    "street",
    "number",
    "letter",
    "floor",
    "suite",
    "location",
    "postOfficeBox",
    "addressDescription",
]


def _invalid(errors: dict[str, list[str]]) -> ApiError:
    title = "One or more validation errors occurred."
    return problem_error(400, title, errors=errors)


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _refuse_filled(body: Any, names: Iterable[str], why: str) -> None:
    """400 naming each of ``names`` that ``body`` fills: "<name> <why>"."""
    if not isinstance(body, dict):
        return
    refused = [name for name in names if _filled(body.get(name))]
    if refused:
        raise _invalid({name: [f"{name} {why}"] for name in refused})


def _checked(body: Any, kinds: dict[str, str], *, strict: bool, what: str) -> Record:
    """The known fields of ``body``; 400 with every field's problems."""
    clean, errors = check(body, kinds, strict=strict, what=what)
    if errors:
        raise _invalid(errors)
    return clean


def _automatic(request: Request) -> bool:
    flag = query_value(request.query_params, "useAutomaticDebtorAccountNumber")
    return (flag or "").lower() == "true"


def write_routes(sim: MembercareStandIn) -> list[BaseRoute]:
    """Every write the API has; other methods on these paths answer 405."""
    w = _Writes(sim)
    table: list[tuple[str, Handler, str]] = [
        ("/api/v1/companies", w.create_company, "POST"),
        ("/api/v1/companies/{key}", w.put_company, "PUT"),
        ("/api/v1/companies/{key}/addresses", w.addresses("Companies"), "POST"),
        ("/api/v1/persons", w.upsert_person, "POST"),
        ("/api/v1/persons/{key}", w.patch_person, "PATCH"),
        ("/api/v1/persons/{key}/addresses", w.addresses("Persons"), "POST"),
        ("/api/v1/organizations", w.create_organization, "POST"),
        ("/api/v1/organizations/{key}", w.patch_organization, "PATCH"),
        ("/api/v1/invoices/{key}", w.finance_status, "PATCH"),
        ("/api/v1/invoices/{key}", w.finance_status, "PUT"),
    ]
    return [Route(path, h, methods=[method]) for path, h, method in table]


class _Writes:
    """The write handlers of one stand-in."""

    def __init__(self, sim: MembercareStandIn) -> None:
        self.sim = sim
        self.store = sim.store

    async def _body(self, request: Request) -> Any:
        self.sim.require_token(request)
        return await json_body(request, partial(problem_error, 400))

    def _existing(self, resource: str, request: Request) -> tuple[Any, Record]:
        """The record the path names (hold the lock), else 404."""
        text = request.path_params["key"]
        key = self.sim.path_key(resource, text)
        record = None if key is None else self.store.get(resource, key)
        if not isinstance(record, dict):
            title = f"{resource[:-1]} '{text}' was not found."
            raise problem_error(404, title)
        return key, record

    def _save(self, request: Request, resource: str, key: Any, record: Record) -> Any:
        stored = self.sim.save(resource, key, record)
        self.store.log_write(request.method, request.url.path, resource, key)
        return render(resource, stored, api_root(request))

    async def create_company(self, request: Request) -> Response:
        body = await self._body(request)
        automatic = _automatic(request)
        if not isinstance(body, dict):
            raise _invalid({"": ["Expected a Company object."]})
        forbidden = [
            name
            for name in COMPANY_CREATE_FORBIDDEN
            if automatic or name != "debtorAccountNumber"
        ]
        _refuse_filled(body, forbidden, "must not be set on create.")
        clean = _checked(body, COMPANY_FIELDS, strict=False, what="Company")
        if not clean.get("companyName"):
            raise _invalid({"companyName": ["companyName is required."]})
        with self.store.lock:
            dan = self._new_debtor_number(body, automatic)
            record = self.sim.blank("Companies", dan) | clean
            return JsonResponse(self._save(request, "Companies", dan, record), 201)

    def _new_debtor_number(self, body: Record, automatic: bool) -> str:
        if automatic:
            return str(self.store.next_id("debtors", 1001))
        dan = body.get("debtorAccountNumber")
        if not isinstance(dan, str) or not dan:
            title = "debtorAccountNumber is required unless"
            title += " useAutomaticDebtorAccountNumber=true."
            raise problem_error(400, title)
        if self.store.has("Companies", dan) or self.store.has("Persons", dan):
            raise problem_error(400, f"Debtor '{dan}' already exists.")
        self.store.reserve_id("debtors", dan)
        return dan

    async def put_company(self, request: Request) -> Response:
        body = await self._body(request)
        clean = _checked(body, COMPANY_PUT_FIELDS, strict=False, what="CompanyPut")
        if not clean.get("companyName"):
            raise _invalid({"companyName": ["companyName is required."]})
        with self.store.lock:
            key, current = self._existing("Companies", request)
            # PUT replaces the CompanyPut fields: one left out is cleared.
            replaced = {name: clean.get(name) for name in COMPANY_PUT_FIELDS}
            return JsonResponse(
                self._save(request, "Companies", key, current | replaced)
            )

    def addresses(self, resource: str) -> Handler:
        async def post(request: Request) -> Response:
            body = await self._body(request)
            if not isinstance(body, list) or not all(isinstance(a, dict) for a in body):
                raise _invalid({"": ["Expected a JSON array of PostalAddress."]})
            with self.store.lock:
                key, current = self._existing(resource, request)
                added = [self._address(item) for item in body]
                kept = list(current.get("addresses") or [])
                for address in added:
                    same = [
                        i
                        for i, old in enumerate(kept)
                        if isinstance(old, dict)
                        and old.get("addressType") == address["addressType"]
                    ]
                    if same:
                        kept[same[0]] = address
                    else:
                        kept.append(address)
                self._save(request, resource, key, current | {"addresses": kept})
            return JsonResponse(added, 201)

        return post

    def _address(self, item: Record) -> Record:
        """A posted address completed by the server (hold the lock)."""
        errors: dict[str, list[str]] = {}
        for name in _ADDRESS_TEXT:
            if not isinstance(item.get(name), str | None):
                errors[name] = ["The value is not a valid string."]
        kind = item.get("addressType", 1)
        if not isinstance(kind, int) or isinstance(kind, bool):
            errors["addressType"] = ["The value is not a valid integer."]
        country = self.sim.find_country(item.get("country"))
        if country is None:
            errors["country"] = ["Unknown country: give iso2Letter, id or name."]
        postal = item.get("postalCode")
        if postal is not None and not isinstance(postal, dict):
            errors["postalCode"] = ["Expected an object with zipCode and city."]
        if errors:
            raise _invalid(errors)
        now = self.sim.now_text()
        zip_code = (postal or {}).get("zipCode")
        return {name: item.get(name) for name in _ADDRESS_TEXT} | {
            "id": self.store.next_id("addresses", 100001),
            "postalCode": {
                "id": int(zip_code)
                if isinstance(zip_code, str) and zip_code.isdigit()
                else None,
                "zipCode": zip_code,
                "city": (postal or {}).get("city"),
            },
            "country": country,
            "addressType": kind,
            "start": now,
            "end": None,
            "lastChange": now,
        }

    async def upsert_person(self, request: Request) -> Response:
        body = await self._body(request)
        _refuse_filled(body, _LISTS, "must be empty; post them separately.")
        clean = _checked(body, PERSON_FIELDS, strict=False, what="Person")
        automatic = _automatic(request)
        dan = clean.pop("debtorAccountNumber", None)
        with self.store.lock:
            current = self.store.get("Persons", dan) if dan else None
            if isinstance(current, dict):
                return JsonResponse(
                    self._save(request, "Persons", dan, current | clean)
                )
            if dan and automatic:
                title = f"Person '{dan}' was not found; leave debtorAccountNumber out"
                title += " to create one with useAutomaticDebtorAccountNumber=true."
                raise problem_error(400, title)
            if not (clean.get("firstname") or clean.get("lastname")):
                raise _invalid({"lastname": ["A person needs a first or last name."]})
            dan = self._new_debtor_number({"debtorAccountNumber": dan}, automatic)
            record = self.sim.blank("Persons", dan) | clean
            return JsonResponse(self._save(request, "Persons", dan, record), 201)

    async def patch_person(self, request: Request) -> Response:
        body = await self._body(request)
        clean = _checked(body, patch_kinds(), strict=True, what="PersonPatch")
        changes = {PERSON_PATCH_FIELDS[name]: value for name, value in clean.items()}
        with self.store.lock:
            key, current = self._existing("Persons", request)
            return JsonResponse(self._save(request, "Persons", key, current | changes))

    async def create_organization(self, request: Request) -> Response:
        body = await self._body(request)
        _refuse_filled(body, _LISTS, "cannot be set here.")
        clean, errors = check(
            body, ORGANIZATION_FIELDS, strict=False, what="Organization"
        )
        for name in ("identificationNumber", "name"):
            if not clean.get(name):
                errors.setdefault(name, []).append(f"{name} is required.")
        if errors:
            raise _invalid(errors)
        key = clean["identificationNumber"]
        with self.store.lock:
            if self.store.has("Organizations", key):
                title = f"Organization '{key}' already exists."
                raise problem_error(400, title)
            record = self.sim.blank("Organizations", key) | clean
            return JsonResponse(self._save(request, "Organizations", key, record), 201)

    async def patch_organization(self, request: Request) -> Response:
        body = await self._body(request)
        kinds = {n: ORGANIZATION_FIELDS[n] for n in ORGANIZATION_PATCH_FIELDS}
        clean = _checked(body, kinds, strict=True, what="OrganizationPatch")
        with self.store.lock:
            key, current = self._existing("Organizations", request)
            return JsonResponse(
                self._save(request, "Organizations", key, current | clean)
            )

    async def finance_status(self, request: Request) -> Response:
        body = await self._body(request)
        if not isinstance(body, dict) or set(body) != {"financeStatus"}:
            title = "Only financeStatus can be changed on an invoice."
            raise problem_error(400, title)
        status = body["financeStatus"]
        if not isinstance(status, int) or isinstance(status, bool):
            status = None
        if status not in FINANCE_STATUSES:
            raise _invalid(
                {"financeStatus": ["financeStatus must be -1, 0, 1, 2 or 3."]}
            )
        with self.store.lock:
            key, current = self._existing("Invoices", request)
            changed = current | {"financeStatus": status}
            return JsonResponse(self._save(request, "Invoices", key, changed))
