"""The deployment the seven-system secrets scan runs on.

All seven stand-ins with fresh credentials, every flow, webhooks on, one worker
at DEBUG on the broker's SASL_SSL listener (so the SASL password is in play),
Crmoffice rotating its refresh tokens, the bad-input corpus seeded. Every token
a stand-in issues is recorded, rotated ones included (``provocations`` walks
the paths where secrets tend to leak).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devkit.local import LocalDeployment, latest_by_key
from standins import (
    ChargebeeStandIn,
    CrmofficeStandIn,
    CustomcrmStandIn,
    CustomwebshopStandIn,
    MembercareStandIn,
    StandIn,
    TidsbankenStandIn,
    WebcrmStandIn,
    chargebee_sample,
    crmoffice_sample,
    customcrm_overlap,
    membercare_sample,
    tidsbanken_sample,
    webcrm_sample,
)
from streams.kafka_io import read_all
from tests.badinput.corpus import DEPLOYED
from tests.integration.secured import secured_broker

SYSTEMS = (
    "membercare",
    "customwebshop",
    "crmoffice",
    "tidsbanken",
    "chargebee",
    "webcrm",
    "customcrm",
)
REVOKED = "revoked-by-the-secrets-scan"
TIMEOUT_SECONDS = 3  # each system's client timeout; injected hangs outlast it


def _secret(name: str) -> str:
    return f"{name}-{secrets.token_hex(12)}"


class IssuedTokens:
    """Every access and refresh token the stand-ins hand out, per system."""

    def __init__(self) -> None:
        self.by_system: dict[str, set[str]] = defaultdict(set)

    def watch(self, system: str, standin: StandIn) -> None:
        """Record the tokens ``standin`` grants from now on."""
        book: Any = standin.tokens
        grant, system_tokens = book.grant, self.by_system[system]

        def granting(token: str, owner: str) -> None:
            system_tokens.add(token)
            grant(token, owner)

        book.grant = granting
        if isinstance(standin, CrmofficeStandIn):  # refresh tokens, rotated ones too
            consent = standin.oauth.consent

            def consenting() -> str:
                token = consent()
                system_tokens.add(token)
                return token

            standin.oauth.consent = consenting  # type: ignore[method-assign]
        if isinstance(standin, WebcrmStandIn):
            issue = book._issue  # noqa: SLF001 - the one place refresh tokens are made

            def issuing(app: str) -> dict[str, Any]:
                body: dict[str, Any] = issue(app)
                system_tokens.add(body["RefreshToken"])
                return body

            book._issue = issuing  # noqa: SLF001


@dataclass
class Everywhere:
    """The running deployment, its credentials and what was done to it."""

    local: LocalDeployment
    standins: dict[str, Any]
    plain_bootstrap: str
    """The broker's PLAINTEXT listener: the scan reads the topics through it."""
    credentials: dict[str, list[str]]
    issued: IssuedTokens
    provoked: Counter[str] = field(default_factory=Counter)
    outputs: list[tuple[str, str, bytes]] = field(default_factory=list)
    """What was seen while provoking, to scan: (kind, where, content)."""

    def secrets(self) -> dict[str, list[str]]:
        """Whose secrets -> their values: credentials plus every issued token."""
        found = {owner: list(values) for owner, values in self.credentials.items()}
        for system, tokens in self.issued.by_system.items():
            found[system] += sorted(tokens)
        return found

    def status(self) -> dict[str, Any]:
        """``GET /status`` of the worker, or {} while it does not answer."""
        try:
            response = httpx.get(self.local.web_url() + "/status", timeout=20.0)
        except httpx.TransportError:
            return {}
        return response.json() if response.status_code == 200 else {}

    def system_states(self) -> dict[str, str]:
        return {s["system"]: s["state"] for s in self.status().get("systems", [])}

    def read(self, topic: str) -> list[tuple[str | None, Any]]:
        """A topic's messages, read through the PLAINTEXT listener."""
        return asyncio.run(read_all(self.plain_bootstrap, topic))

    def links(self, flow: str) -> int:
        return len(latest_by_key(self.read(self.local.topics.links(flow))))

    def dead_letter_keys(self) -> set[str]:
        letters = self.read(self.local.topics.deadletters)
        return {(key or "").partition("#")[0] for key, _ in letters}

    def wait(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        self.local.wait_for(condition, timeout=timeout, what=what, interval=1.0)


def _standins() -> dict[str, Any]:
    return {
        "membercare": MembercareStandIn(api_key=_secret("membercare-key")),
        "customwebshop": CustomwebshopStandIn(api_key=_secret("webshop-key")),
        # Tokens live 15 s: the worker renews, rotating the refresh token, often.
        "crmoffice": CrmofficeStandIn(
            client_secret=_secret("crmoffice-secret"),
            rotate_refresh_tokens=True,
            token_ttl_s=15.0,
        ),
        "tidsbanken": TidsbankenStandIn(
            tb_key=_secret("tidsbanken-tb-key"),
            subscription_key=_secret("tidsbanken-apim-key"),
        ),
        "chargebee": ChargebeeStandIn(api_key=_secret("chargebee-key")),
        "webcrm": WebcrmStandIn(auth_code=_secret("webcrm-code"), token_ttl_s=30.0),
        "customcrm": CustomcrmStandIn(api_key=_secret("customcrm-key")),
    }


def _credentials(standins: dict[str, Any]) -> dict[str, list[str]]:
    tidsbanken = standins["tidsbanken"]
    return {
        "membercare": [standins["membercare"].api_key],
        "customwebshop": [standins["customwebshop"].api_key],
        "crmoffice": [standins["crmoffice"].oauth.client_secret],
        "tidsbanken": [tidsbanken.tb_key, tidsbanken.subscription_key],
        "chargebee": [standins["chargebee"].api_key],
        "webcrm": [standins["webcrm"].auth_code],
        "customcrm": [standins["customcrm"].api_key],
    }


def _seed(standins: dict[str, Any]) -> None:
    def put(system: str, data: dict[str, list[dict[str, Any]]]) -> None:
        for resource, records in data.items():
            standins[system].seed(resource, records)

    webcrm = webcrm_sample(organisations=5, persons=8, products=3, seed=13)
    put("webcrm", webcrm)
    put("customcrm", customcrm_overlap(webcrm, fraction=0.2, seed=13))
    membercare = membercare_sample(
        companies=5, persons=5, organizations=2, invoices=4, seed=13
    )
    put("membercare", membercare)
    names = [c["companyName"] for c in membercare["Companies"][:3]]
    put("chargebee", chargebee_sample(business_entities=names, seed=13))
    put("crmoffice", crmoffice_sample(companies=3, contacts=6, activities=3, seed=13))
    put("tidsbanken", tidsbanken_sample(kunder=4, avdelinger=3, seed=13))
    for kind in DEPLOYED:  # bad input: dead letters
        kind.inject(standins[kind.system])


@contextmanager
def everywhere(home: Path) -> Iterator[Everywhere]:
    """The deployment, first sync done; stopped and torn down afterwards."""
    password, control = _secret("sasl-password"), _secret("control-token")
    standins = _standins()
    issued = IssuedTokens()
    for system in ("membercare", "crmoffice", "webcrm"):
        issued.watch(system, standins[system])
    with secured_broker(home, {"tether": password}) as secured:
        security = secured.sasl_env()
        for standin in standins.values():
            standin.start()
        standins["webcrm"].set_faults(rate_limit=None)
        standins["chargebee"].set_faults(rate_limit=None)
        _seed(standins)
        env = {
            **security,
            "TETHER_CONTROL_TOKEN": control,
            "TETHER_REFERENCE_WAIT_SECONDS": "5",
            "TETHER_HEALTH_FIRST_RETRY_SECONDS": "1",
            "TETHER_HEALTH_MAX_RETRY_SECONDS": "4",
            "CRMOFFICE_REFRESH_TOKEN": standins["crmoffice"].oauth.consent(),
            **{f"{s.upper()}_TIMEOUT": str(TIMEOUT_SECONDS) for s in SYSTEMS},
        }
        local = LocalDeployment(
            bootstrap=secured.sasl_ssl,
            app_id=f"chaos-secrets-{uuid.uuid4().hex[:8]}",
            home=home,
            standins=standins,
            flows="all",
            poll_interval=1.0,
            push=True,
            log_level="debug",
            extra_env=env,
        )
        credentials = _credentials(standins)
        credentials["webhooks"] = [local._push_secret]  # noqa: SLF001 - the test's own
        credentials["kafka"] = [password]
        credentials["control"] = [control]
        world = Everywhere(
            local, standins, secured.broker.bootstrap, credentials, issued
        )
        try:
            local.start_worker()
            yield world
        finally:
            local.stop()
            for standin in standins.values():
                standin.stop()
