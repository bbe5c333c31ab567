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
from ops.logs import JsonFormatter, LibraryInfo, logging_config


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
    assert config["handlers"]["tether"]["filters"] == ["libraries"]
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
