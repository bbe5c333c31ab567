"""Two workers and a restart on Crmoffice's rotating refresh tokens: none reused."""

from __future__ import annotations

import time
import uuid

import pytest

from devkit.local import LocalDeployment
from standins import CrmofficeStandIn, MembercareStandIn, crmoffice_sample
from tests.integration.scenario import links

FLOW = "crmoffice-contacts-to-membercare-persons"


@pytest.fixture
def deployment(kafka_bootstrap, tmp_path):
    # Tokens live 4 s: every worker renews many times during the test.
    crmoffice = CrmofficeStandIn(rotate_refresh_tokens=True, token_ttl_s=4.0).start()
    membercare = MembercareStandIn().start()
    data = crmoffice_sample(companies=3, contacts=12, activities=0, seed=5)
    for resource, records in data.items():
        crmoffice.seed(resource, records)
    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-rotation-{uuid.uuid4().hex[:8]}",
        home=tmp_path,
        standins={"crmoffice": crmoffice, "membercare": membercare},
        flows=FLOW,
        extra_env={"CRMOFFICE_REFRESH_TOKEN": crmoffice.oauth.consent()},
    )
    try:
        yield local, crmoffice, membercare
    finally:
        local.stop()
        crmoffice.stop()
        membercare.stop()


def _persons(local, membercare) -> dict[str, dict]:
    """Each linked contact's Membercare person."""
    persons = {
        str(membercare.id_of("Persons", p)): p for p in membercare.records("Persons")
    }
    return {
        source: persons[target]
        for source, target in links(local, FLOW).items()
        if target in persons
    }


def test_two_workers_and_a_restart_share_the_rotating_token(deployment) -> None:
    local, crmoffice, membercare = deployment
    contacts = [str(c["id"]) for c in crmoffice.records("Contacts")]
    local.start_worker("w1")
    local.start_worker("w2")
    local.wait_for(
        lambda: len(links(local, FLOW)) == len(contacts),
        timeout=300,
        what="every contact linked",
    )
    linked = _persons(local, membercare)
    given: dict[str, str] = {}  # crmoffice -> membercare (the leader polls)
    family: dict[str, str] = {}  # membercare -> crmoffice: writes from both workers
    for round_ in range(4):
        for contact in contacts[:6]:
            given[contact] = f"Navn{round_}x{contact[-3:]}"
            crmoffice.edit("Contacts", contact, {"givenName": given[contact]})
        for contact in contacts[6:]:
            family[contact] = f"Etter{round_}x{contact[-3:]}"
            person = membercare.id_of("Persons", linked[contact])
            membercare.edit("Persons", person, {"lastname": family[contact]})
        if round_ == 1:
            local.kill_worker("w2")  # a restart reads the chain's latest grant
            local.start_worker("w2")
        time.sleep(5)  # more than a token's life: renewals on every worker

    def synced() -> bool:
        now = _persons(local, membercare)
        return all(now[c].get("firstname") == n for c, n in given.items()) and all(
            crmoffice.get("Contacts", c).get("familyName") == n
            for c, n in family.items()
        )

    local.wait_for(synced, timeout=300, what="every edit synced both ways")
    logs = "".join(local.log_path(w).read_text() for w in ("w1", "w2"))
    assert "invalid_grant" not in logs
    assert "AuthenticationError" not in logs
    assert local.read_topic(local.topics.deadletters) == []
