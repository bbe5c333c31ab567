"""A worker trusts its local tables only after a clean stop.

faust writes a table's local RocksDB database at once and its changelog through
the producer afterwards. A worker killed in between (SIGKILL, out of memory, a
lost machine) keeps a database holding writes its changelog never got. The event
that made them was not committed, so it is read again; but it then finds its own
writes in place (the link it would make is there) and changes nothing, so the
changelog never gets them. Every other worker, and this one on a new disk,
rebuilds its tables from the changelogs: a rebalance then hands the entity to a
worker whose link table lacks the link, and that worker drops the target side's
changes as unlinked. That is how a chaos run lost an update after a SIGKILL.

So, as Kafka Streams does for exactly-once, the local databases count only when
the last run stopped cleanly: faust stopped the consumer, flushed and stopped
the producer and exited 0, and no changelog write was refused meanwhile. Such a
stop leaves a marker in the tables folder. A start removes the marker and,
finding none, deletes the databases, so they are rebuilt from the changelogs
(``streams.preload``: about a minute per million links) and the events read
again are processed against what every worker agrees on.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import faust
from faust.sensors import Sensor

log = logging.getLogger(__name__)

MARKER = "stopped-cleanly"


def guard_local_tables(app: faust.App) -> int:
    """Before the tables open: discard them after an unclean stop, and watch
    this run's changelog writes. Returns how many databases were discarded."""
    app.sensors.add(ChangelogWatch())
    return discard_after_unclean_stop(Path(app.conf.tabledir))


def record_stop(app: Any, exit_code: object) -> bool:
    """After the worker stopped: leave the marker if the stop was clean."""
    watches = [s for s in app.sensors if isinstance(s, ChangelogWatch)]
    clean = exit_code in (0, None) and bool(watches) and watches[0].clean
    if clean:
        mark_clean_stop(Path(app.conf.tabledir))
    return clean


def discard_after_unclean_stop(tabledir: Path) -> int:
    """Delete the databases under ``tabledir`` unless the last run left the
    marker; remove the marker either way. Returns how many were deleted."""
    marker = tabledir / MARKER
    if marker.exists():
        marker.unlink()
        return 0
    databases = sorted(tabledir.glob("*.db")) if tabledir.is_dir() else []
    if not databases:
        return 0  # a new worker: nothing to distrust
    log.warning(
        "the last run of this worker did not stop cleanly; its %d local table "
        "databases may hold writes their changelogs lack: rebuilding them "
        "from the changelogs",
        len(databases),
    )
    for database in databases:
        shutil.rmtree(database)
    return len(databases)


def mark_clean_stop(tabledir: Path) -> None:
    """Record that the local databases match their changelogs."""
    if tabledir.is_dir():
        (tabledir / MARKER).touch()


class ChangelogWatch(Sensor):
    """Notices a changelog write the broker refused.

    faust only logs such a failure, and the offset of the event that made the
    write may still commit: the local database then holds a write no other
    worker will ever see. The worker then no longer stops cleanly (its tables
    are rebuilt at the next start) and says so at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: list[str] = []

    def on_send_initiated(
        self, producer: Any, topic: str, message: Any, keysize: int, valsize: int
    ) -> Any:
        return topic  # the state faust hands back to on_send_error

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        topic = str(state)
        if not topic.endswith("-changelog"):
            return
        if topic not in self.refused:
            self.refused.append(topic)
        log.error(
            "the broker refused a write to the table changelog %s (%s); this "
            "worker's tables will be rebuilt from the changelogs when it restarts",
            topic,
            type(exc).__name__,
        )

    @property
    def clean(self) -> bool:
        """Whether every changelog write of this run was taken."""
        return not self.refused
