"""A worker trusts its local tables only after a clean stop (``streams.cleanstop``).

faust writes a table's local database at once and its changelog afterwards: a
SIGKILL in between left links only the killed worker's disk knew (about one in
five of a busy second's links, before this), which no other worker would ever
see. After a kill the worker now rebuilds its tables from the changelogs; after
a SIGTERM it uses them as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import rocksdict

from devkit.local import LocalDeployment, latest_by_key
from standins.webcrm import seed_webcrm
from streams.cleanstop import MARKER
from tests.integration.scenario import counts, webcrm_customcrm

FLOWS = (
    "webcrm-organisations-to-customcrm-customer",
    "webcrm-persons-to-customcrm-contact",
    "webcrm-products-to-customcrm-product",
)
SIZES = {"organisations": 150, "persons": 300, "products": 50}
REBUILT = re.compile(r"tables rebuilt from changelogs: (\d+) records")
UNCLEAN = "did not stop cleanly"


def _log(local: LocalDeployment) -> str:
    path = local.log_path("w1")
    return path.read_text(errors="replace") if path.exists() else ""


def _rebuilds(local: LocalDeployment) -> list[int]:
    """Records each start of the worker so far applied from the changelogs."""
    return [int(n) for n in REBUILT.findall(_log(local))]


def _start(local: LocalDeployment) -> None:
    starts = len(_rebuilds(local))
    local.start_worker()
    local.wait_for(
        lambda: len(_rebuilds(local)) > starts, what="the worker's tables rebuilt"
    )


def _local_rows(tables: Path, table: str) -> dict[str, Any]:
    """A table's rows in the stopped worker's own databases, keys as stored."""
    rows = {}
    for path in sorted(tables.glob(f"{table}-*.db")):
        db = rocksdict.Rdict(
            str(path),
            options=rocksdict.Options(raw_mode=True),
            access_type=rocksdict.AccessType.read_only(),
        )
        try:
            rows |= {
                key.decode(): json.loads(value)
                for key, value in db.items()
                if not key.startswith(b"__faust")  # faust's persisted offset
            }
        finally:
            db.close()
    return rows


def _only_local(local: LocalDeployment, tables: Path) -> dict[str, list[str]]:
    """Per flow, the link rows the local databases hold and the changelog lacks."""
    out = {}
    for flow in FLOWS:
        table = f"{flow}-links"
        mine = _local_rows(tables, table)
        shared = latest_by_key(local.read_topic(f"{local.app_id}-{table}-changelog"))
        out[flow] = sorted(k for k, v in mine.items() if shared.get(k) != v)
    return out


def test_kills_in_a_sync_leave_every_link_where_all_workers_read_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    # Each kill costs the group a session timeout (30 s): a contact parked for
    # its customer's link must not spend its wait on them.
    env = {"TETHER_REFERENCE_WAIT_SECONDS": "600"}
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=env) as (
        local,
        webcrm,
        customcrm,
    ):
        tables = Path(local.worker_env("w1")["TETHER_DATA_DIR"]) / "v1" / "tables"
        seed_webcrm(webcrm, **SIZES)
        for _ in range(3):  # killed while it creates and links
            _start(local)
            before = sum(counts(customcrm))
            local.wait_for(
                lambda: sum(counts(customcrm)) >= before + 40,  # noqa: B023
                timeout=120,
                what="40 more creates",
            )
            local.kill_worker()
        _start(local)
        assert _log(local).count(UNCLEAN) == 3  # every start after a kill
        local.wait_for(
            lambda: counts(customcrm) == (150, 300, 50), what="the whole sync"
        )
        assert local.stop_worker() == 0
        assert (tables / MARKER).exists()
        assert _only_local(local, tables) == {flow: [] for flow in FLOWS}

        _start(local)  # after a clean stop: the databases as they were
        assert _log(local).count(UNCLEAN) == 3
        assert _rebuilds(local)[-1] == 0
        assert not (tables / MARKER).exists()  # this run must earn its own
        org = webcrm.records("Organisations")[7]
        customer = next(
            c
            for c in customcrm.records("customers")
            if c["Name"] == org["OrganisationName"]
        )
        customcrm.edit("customers", customer["Id"], {"City": "Hammerfest"})
        local.wait_for(
            lambda: (
                webcrm.get("Organisations", org["OrganisationId"])["OrganisationCity"]
                == "Hammerfest"
            ),
            what="a Customcrm edit in Webcrm",
        )
