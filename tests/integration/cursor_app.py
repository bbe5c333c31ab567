"""Test-only faust app: the poller's cursor table over its changelog, one run at a time.

Run as a worker subprocess by ``test_delivery_cursors.py``::

    python tests/integration/cursor_app.py worker -l info --without-web

Built like a tether worker (``streams.app``, the shared ``cursors`` table,
``engine.cursors.CursorTable``), configured through ``TETHER_*`` variables.
With ``TETHER_IT_MODE=write`` it saves a listing cursor of ``TETHER_IT_IDS``
records once the table is recovered and prints ``SAVED <n> <digest>``; with
``read`` it prints ``LOADED <n> <digest>`` of what the changelog gave back
(``LOADED 0 -`` when nothing).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any, cast

from connectors.base.records import fingerprint
from connectors.base.settings import load_settings
from connectors.base.snapshot import Snapshot
from engine.cursors import CursorTable
from schemas.envelope import Cursor
from streams.app import create_app
from streams.settings import StreamSettings
from streams.tables import shared_table

SYSTEM, ENTITY = "membercare", "Organizations"
settings = load_settings(StreamSettings)
app = create_app(settings)
cursors = CursorTable(
    shared_table(app, "cursors"), max_value_bytes=settings.max_message_bytes // 4
)
done: list[bool] = []


def digest(cursor: Cursor | None) -> tuple[int, str]:
    if cursor is None:
        return 0, "-"
    hashes = Snapshot.from_cursor(cursor).hashes
    text = "\n".join(f"{key}={value}" for key, value in sorted(hashes.items()))
    return len(hashes), hashlib.sha256(text.encode()).hexdigest()[:16]


@app.timer(0.5)
async def once() -> None:
    recovery = cast(Any, app.tables).recovery
    if done or not recovery.completed.is_set():
        return
    done.append(True)
    if os.environ["TETHER_IT_MODE"] == "write":
        count = int(os.environ["TETHER_IT_IDS"])
        hashes = {
            str(n): fingerprint({"id": n, "name": f"Org {n}"}) for n in range(count)
        }
        cursor = Snapshot(datetime(2024, 1, 1, tzinfo=UTC), hashes).to_cursor()
        await cursors.save(SYSTEM, ENTITY, cursor)
        await app.producer.flush()
        print("SAVED {} {}".format(*digest(cursor)), flush=True)
    else:
        print("LOADED {} {}".format(*digest(cursors.load(SYSTEM, ENTITY))), flush=True)


if __name__ == "__main__":
    app.main()
