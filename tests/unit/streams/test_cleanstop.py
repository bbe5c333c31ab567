"""Local tables count only after a clean stop (``streams.cleanstop``)."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from streams.cleanstop import (
    MARKER,
    ChangelogWatch,
    discard_after_unclean_stop,
    mark_clean_stop,
    record_stop,
)


def _databases(tabledir: Path, *names: str) -> None:
    for name in names:
        (tabledir / name).mkdir(parents=True)
        (tabledir / name / "CURRENT").write_text("MANIFEST-000001\n")


def test_databases_left_by_a_clean_stop_are_kept(tmp_path: Path) -> None:
    _databases(tmp_path, "flow-links-0.db", "idmap-0.db")
    mark_clean_stop(tmp_path)
    assert discard_after_unclean_stop(tmp_path) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "flow-links-0.db",
        "idmap-0.db",
    ]  # and the marker is gone: this run must earn its own


def test_databases_left_by_a_kill_are_deleted_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _databases(tmp_path, "flow-links-0.db", "flow-links-1.db", "idmap-0.db")
    (tmp_path / "notes.txt").write_text("not a database")
    caplog.set_level(logging.WARNING)
    assert discard_after_unclean_stop(tmp_path) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert caplog.messages == [
        "the last run of this worker did not stop cleanly; its 3 local table "
        "databases may hold writes their changelogs lack: rebuilding them "
        "from the changelogs"
    ]


def test_a_new_worker_has_nothing_to_discard(tmp_path: Path) -> None:
    assert discard_after_unclean_stop(tmp_path / "absent") == 0
    assert discard_after_unclean_stop(tmp_path) == 0
    mark_clean_stop(tmp_path / "absent")  # no folder made for a marker
    assert not (tmp_path / "absent").exists()


def _app(tabledir: Path, *sensors: Any) -> Any:
    return SimpleNamespace(
        conf=SimpleNamespace(tabledir=str(tabledir)), sensors=sensors
    )


def test_only_a_zero_exit_with_every_changelog_write_taken_is_clean(
    tmp_path: Path,
) -> None:
    watch = ChangelogWatch()
    assert record_stop(_app(tmp_path, watch), 1) is False
    assert not (tmp_path / MARKER).exists()
    assert record_stop(_app(tmp_path), 0) is False  # not watched: not known
    assert record_stop(_app(tmp_path, watch), 0) is True
    assert (tmp_path / MARKER).exists()


def test_a_refused_changelog_write_makes_the_stop_unclean(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watch = ChangelogWatch()
    producer = object()
    other = watch.on_send_initiated(producer, "app.webcrm.Persons", None, 1, 1)
    watch.on_send_error(producer, MessageSizeTooLargeError(), other)
    assert watch.clean  # not a table's write: the sender handles its own
    state = watch.on_send_initiated(producer, "app-flow-links-changelog", None, 1, 1)
    caplog.set_level(logging.ERROR)
    watch.on_send_error(producer, MessageSizeTooLargeError(), state)
    assert not watch.clean
    assert caplog.messages == [
        "the broker refused a write to the table changelog app-flow-links-changelog "
        "(MessageSizeTooLargeError); this worker's tables will be rebuilt from the "
        "changelogs when it restarts"
    ]
    assert record_stop(_app(tmp_path, watch), 0) is False
    assert not (tmp_path / MARKER).exists()
