"""What the secrets scan's deployment goes through before the scan.

The paths where secrets tend to leak: every system's credentials revoked and
restored (``tether status`` and ``/status`` then quote the errors), single 401s,
5xx and hangs past the client timeout, edits that write through them, bad
input that is dead-lettered; then back to normal, converged.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx

from tests.badinput.corpus import DEPLOYED
from tests.integration.chaos.everywhere import REVOKED, TIMEOUT_SECONDS, Everywhere
from tests.integration.chaos.secrets import COMMANDS, PAGES

WATCHED = {
    "webcrm-organisations-to-customcrm-customer": 5,
    "membercare-companies-to-customwebshop-customer": 5,
    "crmoffice-contacts-to-membercare-persons": 6,
}


def first_sync(world: Everywhere) -> None:
    """Until a few flows of different systems linked all their records."""
    world.wait(
        lambda: all(world.links(f) >= n for f, n in WATCHED.items()),
        "the first sync",
        timeout=400,
    )


def _revoke(standins: dict[str, Any]) -> dict[str, Callable[[], None]]:
    """Refuse every system's credentials; per system, what gives them back."""
    restores: dict[str, Callable[[], None]] = {}
    for name, standin in standins.items():
        if name == "webcrm":
            standin.tokens.auth_codes.discard(standin.auth_code)
            standin.tokens.clear()
            restores[name] = partial(standin.tokens.auth_codes.add, standin.auth_code)
            continue
        if name == "membercare":
            owner, attribute = standin.tokens, "api_key"
            standin.tokens.clear()
        elif name == "crmoffice":
            owner, attribute = standin.oauth, "client_secret"
            standin.oauth.expire_all()  # the refresh token stays: it is the grant's
        elif name == "tidsbanken":
            owner, attribute = standin, "tb_key"
        else:
            owner, attribute = standin, "api_key"
        restores[name] = partial(setattr, owner, attribute, getattr(owner, attribute))
        setattr(owner, attribute, REVOKED)
    return restores


def seeded(records: list[Any], key: str) -> list[Any]:
    """Up to two of the sample's records (the bad inputs left out: ids 0, -7 ...)."""
    good = [r for r in records if isinstance(r, dict) and _positive(r.get(key))]
    return sorted(good, key=lambda r: str(r[key]))[:2]


def _positive(value: Any) -> bool:
    if not isinstance(value, int | str) or isinstance(value, bool):
        return False
    text = str(value).strip()
    return bool(text) and not text.startswith(("-", "0")) and len(text) < 30


def _edit_some(world: Everywhere, round_: int) -> None:
    """Edits on a few systems, so that writes go through the faults too."""
    webcrm, membercare = world.standins["webcrm"], world.standins["membercare"]
    crmoffice = world.standins["crmoffice"]
    for org in seeded(webcrm.records("Organisations"), "OrganisationId"):
        changes = {"OrganisationName": f"Hemmelig {round_} {org['OrganisationId']}"}
        webcrm.edit("Organisations", org["OrganisationId"], changes)
    for company in seeded(membercare.records("Companies"), "debtorAccountNumber"):
        name = f"Skjult {round_} {company['debtorAccountNumber']}"
        membercare.edit(
            "Companies", company["debtorAccountNumber"], {"companyName": name}
        )
    for contact in seeded(crmoffice.records("Contacts"), "id"):
        crmoffice.edit("Contacts", contact["id"], {"givenName": f"Navn{round_}"})


def _while_failing(world: Everywhere) -> None:
    """What an operator sees while systems fail (their reasons quote errors):
    ``tether status`` (a process of its own: this fixture has no capsys) and
    the worker's ``/status`` and flow details, kept for the scan."""
    env = world.local.worker_env("cli")
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ops", "status"],
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 1, done.stderr.decode(errors="replace")[-2000:]
    assert b"FAILING" in done.stdout, done.stdout
    world.outputs.append((COMMANDS, "status (failing)", done.stdout + done.stderr))
    with httpx.Client(base_url=world.local.web_url(), timeout=30.0) as client:
        for path in ("/status", *(f"/flows/{flow}" for flow in WATCHED)):
            answer = client.get(path)
            world.outputs.append((PAGES, f"{path} (failing)", answer.content))


def provoke(world: Everywhere) -> None:
    """Revocations, 401s, 5xx, hangs and bad input; then back to normal."""
    standins = world.standins
    restores = _revoke(standins)
    world.provoked["revoked credentials"] = len(restores)
    _edit_some(world, 1)
    log = world.local.log_path("w1")
    world.wait(
        lambda: "crmoffice is failing" in log.read_text(errors="replace"),
        "Crmoffice's refusal",
        timeout=120,
    )
    # Crmoffice back at once: each failed renewal holds the shared grant's
    # claim for a minute (streams/grants.py CLAIM_SECONDS), a longer refusal
    # would cost another minute.
    restores.pop("crmoffice")()

    def failing() -> bool:
        states = world.system_states()
        return sum(state == "failing" for state in states.values()) >= 4

    world.wait(failing, "systems to show as failing", timeout=120)
    world.provoked["systems seen failing"] = sum(
        state == "failing" for state in world.system_states().values()
    )
    _while_failing(world)
    for restore in restores.values():  # back to ok is waited for in ``converge``
        restore()
    for name, standin in standins.items():
        # Not Crmoffice's token requests: a failed renewal holds its claim on
        # the shared grant for a minute (streams/grants.py CLAIM_SECONDS).
        method = "GET" if name == "crmoffice" else None
        standin.fail_next(2, 401, method=method)
        standin.fail_next(3, 500, method=method)
        if name != "crmoffice":
            standin.set_faults(timeout_rate=0.1, hang_seconds=TIMEOUT_SECONDS + 1.0)
    world.provoked["401s, 5xx"] = 5 * len(standins)
    _edit_some(world, 2)
    time.sleep(10)  # polls and writes meet the faults
    for standin in standins.values():
        standin.set_faults(timeout_rate=0.0)
    _edit_some(world, 3)


def converge(world: Everywhere) -> None:
    """Until every system is ok, every bad input dead-lettered, the edits arrived."""
    expected = {kind.key for kind in DEPLOYED}
    world.wait(
        lambda: world.dead_letter_keys() >= expected, "every bad input", timeout=240
    )
    webcrm, customcrm = world.standins["webcrm"], world.standins["customcrm"]
    orgs = seeded(webcrm.records("Organisations"), "OrganisationId")
    names = {o["OrganisationName"] for o in orgs}
    world.wait(
        lambda: names <= {c.get("Name") for c in customcrm.records("customers")},
        "the last Webcrm edits in Customcrm",
        timeout=300,
    )
    world.wait(
        lambda: set(world.system_states().values()) == {"ok"},
        "every system ok",
        timeout=180,
    )
    world.provoked["dead letters"] = len(world.dead_letter_keys())
