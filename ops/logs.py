"""Logging of every ``tether`` process: quiet libraries, text or JSON lines."""

from __future__ import annotations

import importlib.util
import logging
import logging.config
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.settings import load_settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

FIELDS = ("flow", "system", "type", "id")
"""What a log site may add as ``extra``: the record a line is about."""

# Libraries log their own life (services starting, topics created, requests,
# partition assignments) at INFO: useful when debugging them, noise otherwise.
# mode's timers warn whenever a timer ran longer than its interval, and faust's
# producer whenever its buffer is full (it then waits: back-pressure working),
# which on a busy machine is every few seconds and nothing to act on.
QUIET: dict[str, int] = {
    "aiokafka": logging.WARNING,
    "kafka": logging.WARNING,
    "faust": logging.WARNING,
    "faust.transport.producer": logging.ERROR,
    "mode": logging.WARNING,
    "mode.timers": logging.ERROR,
    "aiohttp": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "uvicorn": logging.WARNING,
    "rocksdict": logging.WARNING,
}
"""The least level shown per library logger, unless debugging."""

CHATTY = ("faust", "mode", "aiokafka")
"""Libraries whose classes tether subclasses: their INFO lines then carry the
name of a tether module (``streams.tables``), so they are told by their code."""


def _package_dir(name: str) -> str | None:
    # Located, not imported: ops does not import faust (the layers).
    loaded = sys.modules.get(name)
    where = getattr(loaded, "__file__", None)
    if where:  # faust replaces its module by a lazy one without a __spec__
        return str(Path(where).parent) + os.sep
    try:
        spec = importlib.util.find_spec(name)
    except ValueError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations)))) + os.sep


class LibraryInfo(logging.Filter):
    """Drops the INFO and DEBUG lines that the code of ``CHATTY`` libraries logs,
    whatever logger they use (a faust service logs under its subclass' module)."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        found = (_package_dir(package) for package in CHATTY)
        self.dirs = tuple(d for d in found if d)

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a library's line below WARNING."""
        return record.levelno >= logging.WARNING or not record.pathname.startswith(
            self.dirs
        )


_STILL_NO_COORDINATOR = (
    "(no group coordinator for %.0f s: is a broker down,"
    " or __consumer_offsets unavailable?)"
)


def _coordinator_retry(record: logging.LogRecord) -> bool:
    """aiokafka's line for a group coordinator lookup it will try again."""
    return (
        record.name.startswith("aiokafka")
        and isinstance(record.msg, str)
        and record.msg.startswith("Group Coordinator Request failed")
        and isinstance(record.args, tuple)
        and bool(record.args)
        and getattr(record.args[0], "retriable", False) is True
    )


class CoordinatorWait(logging.Filter):
    """aiokafka's ERROR at each try to find a consumer group's coordinator that
    the broker has not got yet: shown only once the wait lasts.

    A new cluster has no group coordinator until it has made its
    ``__consumer_offsets`` topic, a second or two after the first group asks:
    aiokafka tries again and logs an ERROR each time, on every first start. A
    coordinator missing for good (a broker down, or that topic's replication
    factor above the number of brokers) is still shown: once the wait has
    lasted ``patience`` seconds, then once per ``every`` seconds, with how long.
    A pause of ``gap`` seconds between the lines ends a wait.
    """

    def __init__(
        self,
        patience: float = 15.0,
        every: float = 30.0,
        gap: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.patience, self.every, self.gap = patience, every, gap
        self._clock = clock
        self._since: float | None = None
        self._seen = 0.0
        self._shown: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a retried lookup's line until the wait has lasted."""
        if not _coordinator_retry(record):
            return True
        now = self._clock()
        if self._since is None or now - self._seen > self.gap:
            self._since, self._shown = now, None
        self._seen = now
        waited = now - self._since
        if waited < self.patience or (
            self._shown is not None and now - self._shown < self.every
        ):
            return False
        self._shown = now
        record.msg = f"{record.msg} {_STILL_NO_COORDINATOR}"
        told = record.args if isinstance(record.args, tuple) else ()
        record.args = (*told, waited)
        return True


class LogSettings(BaseSettings):
    """How ``tether`` writes its log (env prefix ``TETHER_LOG_``)."""

    model_config = SettingsConfigDict(
        env_prefix="TETHER_LOG_", frozen=True, extra="ignore"
    )

    format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per event; json: one JSON object",
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's fields.

    ``flow``, ``system``, ``type`` and ``id`` are there when the log site gave
    them as ``extra``; a traceback goes into ``exception``, escaped, so that a
    line is always one event.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (without the newline)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None and value != "":
                line[name] = str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line).decode()


def _formatter(form: str) -> dict[str, Any]:
    if form == "json":
        return {"()": f"{__name__}.JsonFormatter"}
    return {"format": TEXT_FORMAT}


def logging_config(level: int | str = logging.INFO) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for one process: ``level`` for tether's own
    loggers, libraries quiet (one step up from DEBUG when ``level`` is DEBUG),
    written to stderr in the ``TETHER_LOG_FORMAT``."""
    number = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(number, int):
        msg = f"unknown log level {level!r}: use debug, info, warning or error"
        raise ValueError(msg)
    form = load_settings(LogSettings).format
    debugging = number <= logging.DEBUG
    loggers = {
        name: {"level": logging.INFO if debugging else quiet}
        for name, quiet in QUIET.items()
    }
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": "tether",
        # The stream is taken now: faust's worker later points sys.stdout and
        # sys.stderr at a logger, and a line must not be logged again.
        "stream": sys.stderr,
    }
    if not debugging:
        handler["filters"] = ["libraries", "coordinator"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"tether": _formatter(form)},
        "filters": {
            "libraries": {"()": f"{__name__}.LibraryInfo"},
            "coordinator": {"()": f"{__name__}.CoordinatorWait"},
        },
        "handlers": {"tether": handler},
        "loggers": loggers,
        "root": {"level": number, "handlers": ["tether"]},
    }


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (a command run
    in-process by a test, under a captured stderr, logs where the test reads)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        """The current ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """Ignored: the stream is always the current stderr."""


class ReportedByTheCommand(logging.Filter):
    """aiokafka's own line about a connection it could not make: a command
    says why itself, in one line (``streams.kafka_security.why_unreachable``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("aiokafka")
            and record.getMessage().startswith(("Unable connect to", "Unable to"))
        )


def configure_logging(verbose: bool = False) -> None:
    """Set up logging of a ``tether`` command (``verbose``: debug)."""
    config = logging_config(logging.DEBUG if verbose else logging.INFO)
    handler = config["handlers"]["tether"]
    del handler["stream"]
    handler["class"] = f"{__name__}.CurrentStderr"
    logging.config.dictConfig(config)
    if not verbose:
        for installed in logging.getLogger().handlers:
            installed.addFilter(ReportedByTheCommand())
    # Python's warnings (e.g. a library's deprecation) become log lines too.
    logging.captureWarnings(True)


def worker_logging(app: Any, loglevel: str) -> None:
    """Make faust's worker set up logging as ``configure_logging`` does.

    faust replaces the logging set-up when its worker starts, from
    ``app.conf.logging_config`` when set; so that is where it goes.
    """
    app.conf.logging_config = logging_config(loglevel)
    logging.captureWarnings(True)
