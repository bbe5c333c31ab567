"""Log lines: JSON objects with the record's fields, quiet libraries, one line each."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from ops.logs import CoordinatorWait, JsonFormatter, LibraryInfo, logging_config


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {n: logging.getLogger(n).level for n in ("faust", "aiokafka", "mode")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "streams.topology", logging.ERROR, __file__, 1, "dead letter: %s", ("x",), None
    )
    record.__dict__.update(extra)
    return record


def test_a_json_line_holds_time_level_logger_message_and_the_record():
    line = JsonFormatter().format(
        _record(flow="f", system="webcrm", type="Persons", id="5013")
    )
    data = json.loads(line)
    assert data["level"] == "ERROR"
    assert data["logger"] == "streams.topology"
    assert data["message"] == "dead letter: x"
    assert (data["flow"], data["system"], data["type"], data["id"]) == (
        "f",
        "webcrm",
        "Persons",
        "5013",
    )
    assert data["time"].endswith("+00:00")


def test_a_json_line_leaves_out_unknown_fields_and_keeps_a_traceback_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record(system="webcrm", flow=None)
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert "flow" not in data
    assert "type" not in data
    assert "ValueError: boom" in data["exception"]


def test_the_format_comes_from_tether_log_format(monkeypatch):
    monkeypatch.setenv("TETHER_LOG_FORMAT", "json")
    assert logging_config()["formatters"]["tether"] == {"()": "ops.logs.JsonFormatter"}
    monkeypatch.setenv("TETHER_LOG_FORMAT", "text")
    assert "format" in logging_config()["formatters"]["tether"]
    monkeypatch.setenv("TETHER_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="TETHER_LOG_FORMAT"):
        logging_config()


def test_libraries_are_quiet_unless_debugging(monkeypatch):
    monkeypatch.delenv("TETHER_LOG_FORMAT", raising=False)
    config = logging_config("info")
    assert config["root"]["level"] == logging.INFO
    assert config["loggers"]["aiokafka"]["level"] == logging.WARNING
    assert config["loggers"]["faust"]["level"] == logging.WARNING
    assert config["handlers"]["tether"]["filters"] == ["libraries", "coordinator"]
    debug = logging_config("debug")
    assert debug["loggers"]["aiokafka"]["level"] == logging.INFO
    assert "filters" not in debug["handlers"]["tether"]
    with pytest.raises(ValueError, match="unknown log level"):
        logging_config("chatty")


def test_the_config_writes_json_lines_and_drops_library_info(monkeypatch):
    monkeypatch.setenv("TETHER_LOG_FORMAT", "json")
    out = io.StringIO()
    config = logging_config("info")
    config["handlers"]["tether"]["stream"] = out
    logging.config.dictConfig(config)
    logging.getLogger("aiokafka").info("subscribed")
    logging.getLogger("engine.health").warning(
        "webcrm is failing", extra={"system": "webcrm"}
    )
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["webcrm is failing"]
    assert json.loads(lines[0])["system"] == "webcrm"


def test_library_info_is_told_by_its_code_not_its_logger_name():
    library = LibraryInfo()
    assert library.dirs  # faust, mode and aiokafka are installed
    inside = str(Path(library.dirs[0]) / "services.py")
    service = logging.LogRecord(
        "streams.tables", logging.INFO, inside, 1, "Starting...", (), None
    )
    ours = logging.LogRecord(
        "streams.tables", logging.INFO, __file__, 1, "tables rebuilt", (), None
    )
    warning = logging.LogRecord(
        "streams.tables", logging.WARNING, inside, 1, "slow", (), None
    )
    assert not library.filter(service)
    assert library.filter(ours)
    assert library.filter(warning)


def test_a_command_logs_to_the_stderr_of_the_moment(monkeypatch):
    from ops.logs import configure_logging

    monkeypatch.setenv("TETHER_LOG_FORMAT", "json")
    configure_logging()
    first, later = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    logging.getLogger("ops.test").warning("one")
    monkeypatch.setattr(sys, "stderr", later)
    logging.getLogger("ops.test").warning("two")
    assert json.loads(first.getvalue())["message"] == "one"
    assert json.loads(later.getvalue())["message"] == "two"


class _NoCoordinatorError(Exception):
    """As aiokafka's GroupCoordinatorNotAvailableError: retriable."""

    retriable = True


class _RefusedError(Exception):
    retriable = False


def _lookup_failed(error: Exception) -> logging.LogRecord:
    # as aiokafka's group coordinator logs it, at each try
    return logging.LogRecord(
        "aiokafka.consumer.group_coordinator",
        logging.ERROR,
        __file__,
        566,
        "Group Coordinator Request failed: %s",
        (error,),
        None,
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _shown(wait: CoordinatorWait, clock: _Clock, at: list[float]) -> list[str]:
    lines = []
    for moment in at:
        clock.now = moment
        record = _lookup_failed(_NoCoordinatorError("[Error 15]"))
        if wait.filter(record):
            lines.append(record.getMessage())
    return lines


def test_a_first_start_waiting_for_the_group_coordinator_logs_no_error():
    clock = _Clock()
    wait = CoordinatorWait(clock=clock)
    # a new cluster: __consumer_offsets made within two seconds
    assert _shown(wait, clock, [100.0, 100.2, 100.5, 101.0, 101.9]) == []
    # a later wait, after a pause: again nothing while it is short
    assert _shown(wait, clock, [200.0, 201.0]) == []


def test_a_coordinator_missing_for_good_is_shown_with_how_long_now_and_then():
    clock = _Clock()
    wait = CoordinatorWait(patience=15.0, every=30.0, clock=clock)
    moments = [100.0 + 0.5 * step for step in range(200)]  # 100 s of retries
    lines = _shown(wait, clock, moments)
    assert len(lines) == 3  # at 15 s, 45 s and 75 s
    assert lines[0].startswith("Group Coordinator Request failed: [Error 15]")
    assert "no group coordinator for 15 s" in lines[0]
    assert "no group coordinator for 45 s" in lines[1]


def test_other_lines_pass_the_coordinator_wait():
    wait = CoordinatorWait(clock=_Clock())
    assert wait.filter(_lookup_failed(_RefusedError("not authorised")))
    assert wait.filter(_record())
    unlike = logging.LogRecord(
        "aiokafka", logging.ERROR, __file__, 1, "Unable connect to %s", ("x",), None
    )
    assert wait.filter(unlike)


def test_the_config_holds_back_a_short_coordinator_wait(monkeypatch):
    monkeypatch.setenv("TETHER_LOG_FORMAT", "text")
    out = io.StringIO()
    config = logging_config("info")
    config["handlers"]["tether"]["stream"] = out
    logging.config.dictConfig(config)
    logging.getLogger("aiokafka.consumer.group_coordinator").error(
        "Group Coordinator Request failed: %s", _NoCoordinatorError("[Error 15]")
    )
    logging.getLogger("aiokafka.consumer.group_coordinator").error(
        "Group Coordinator Request failed: %s", _RefusedError("[Error 30]")
    )
    assert "[Error 15]" not in out.getvalue()
    assert "[Error 30]" in out.getvalue()
