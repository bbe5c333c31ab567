"""At ``--loglevel debug`` the libraries' lines that carry secrets stay out of the log.

aiokafka dumps every request at DEBUG, the SASL login's bytes (user and
password) included; httpx logs each request's URL at INFO, and Membercare's
token request carries the API key in its query string. tether keeps the
libraries at INFO when debugging and masks the key in httpx's line.
"""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import httpx
import pytest
from aiokafka.protocol.admin import SaslAuthenticateRequest_v1

from connectors.membercare.client import install_log_redaction
from ops.logs import logging_config
from tests.integration.chaos.secrets import SecretScanner

PASSWORD = "sasl-password-in-a-debug-dump-5c0e"  # noqa: S105 - made up
KEY = "membercare-key-in-a-query-0d8e4f6a"

LIBRARIES = ("aiokafka", "httpx", "httpcore", "faust", "mode")


@pytest.fixture
def debug_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The worker's logging at ``--loglevel debug``, written to a buffer."""
    monkeypatch.delenv("TETHER_LOG_FORMAT", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    out = io.StringIO()
    config = logging_config("debug")
    config["handlers"]["tether"]["stream"] = out
    logging.config.dictConfig(config)
    try:
        yield out
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def test_aiokafkas_dump_of_the_sasl_login_is_not_written(debug_log: io.StringIO):
    request = SaslAuthenticateRequest_v1(b"\0tether\0" + PASSWORD.encode())
    assert PASSWORD in str(request)  # what aiokafka would write at DEBUG
    log = logging.getLogger("aiokafka.conn")
    log.debug("Request to %s:%d %d: %s", "127.0.0.1", 9093, 7, request)
    log.info("Authenticated as %s via PLAIN", "tether")
    logging.getLogger("engine.health").debug("probing %s", "webcrm")
    scanner = SecretScanner({"kafka": [PASSWORD]})
    scanner.text("log", "debug log", debug_log.getvalue())
    assert "Authenticated as tether" in debug_log.getvalue()
    assert "probing webcrm" in debug_log.getvalue()  # tether's own DEBUG shows
    assert scanner.scan.hits == []


def test_httpxs_request_line_shows_the_membercare_key_masked(debug_log: io.StringIO):
    install_log_redaction()
    url = httpx.URL(
        "http://127.0.0.1:8000/api/v1/token",
        params={"clientApiKey": KEY, "personToImpersonate": "1"},
    )
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"', "GET", url, "HTTP/1.1", 401, "Unauthorized"
    )
    logging.getLogger("httpcore.http11").debug(
        "send_request_headers.started request=%s", url
    )
    scanner = SecretScanner({"membercare": [KEY]})
    scanner.text("log", "debug log", debug_log.getvalue())
    assert "clientApiKey=***&personToImpersonate=1" in debug_log.getvalue()
    assert scanner.scan.hits == []
