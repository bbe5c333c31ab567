"""A 100,000-record listing cursor goes through the changelog and survives a restart."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from devkit.local import latest_by_key
from streams.kafka_io import read_all
from streams.provision import TopicSpec, ensure_topics_sync
from tests.integration.conftest import REPO

APP = Path(__file__).resolve().parent / "cursor_app.py"
IDS = 100_000
LIMIT = 1_000_000  # the default TETHER_MAX_MESSAGE_BYTES and Kafka's message limit


class CursorWorker:
    """``cursor_app.py worker`` as a subprocess writing to its own log."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CursorWorker:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), "worker", "-l", "info", "--without-web"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_for(self, pattern: str, timeout: float = 180.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log.read_text("utf-8", "replace"))
            if found:
                return found
            assert self.process is not None
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        tail = self.log.read_text("utf-8", "replace")[-4000:]
        raise AssertionError(f"no {pattern!r} from the worker:\n{tail}")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        # SIGKILL: what the next run reads must not depend on a clean shutdown.
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def test_a_100000_record_cursor_survives_a_worker_restart(
    kafka_bootstrap, tmp_path, unique_name
):
    app_id = unique_name("cursors")
    changelog = f"{app_id}-cursors-changelog"
    ensure_topics_sync(
        kafka_bootstrap,
        [
            TopicSpec(changelog, 1, compacted=True),
            TopicSpec(f"{app_id}-__assignor-__leader", 1),
        ],
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TETHER_", "MEMBERCARE_"))
    }
    env = {
        **base,
        "TETHER_APP_ID": app_id,
        "TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TETHER_IT_IDS": str(IDS),
        "PYTHONUNBUFFERED": "1",
    }
    write = {**env, "TETHER_IT_MODE": "write", "TETHER_DATA_DIR": str(tmp_path / "a")}
    with CursorWorker(write, tmp_path / "write.log") as worker:
        saved = worker.wait_for(r"SAVED (\d+) (\w+)")
    assert int(saved.group(1)) == IDS

    # What the changelog carries: messages that fit, a head naming its chunks.
    messages = [
        (orjson.loads(key), value)  # faust writes table keys as JSON text
        for key, value in asyncio.run(read_all(kafka_bootstrap, changelog, 60.0))
        if key is not None
    ]
    assert max(len(orjson.dumps(value)) for _, value in messages) < LIMIT // 2
    latest = latest_by_key(messages)
    head = latest["membercare/Organizations"]
    assert len(head["chunks"]) > 5
    # Every entry once (the first is the snapshot mark), in chunks the head names.
    chunks = [latest[f"membercare/Organizations#{name}"] for name in head["chunks"]]
    assert sum(map(len, chunks)) == IDS + 1

    # A new worker with no local state rebuilds the table from the changelog.
    read = {**env, "TETHER_IT_MODE": "read", "TETHER_DATA_DIR": str(tmp_path / "b")}
    with CursorWorker(read, tmp_path / "read.log") as worker:
        loaded = worker.wait_for(r"LOADED (\d+) (\S+)")
    assert loaded.groups() == saved.groups()
