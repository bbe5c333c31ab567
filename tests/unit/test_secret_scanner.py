"""The secrets scanner finds a planted secret in each form it could leak in."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.integration.chaos.secrets import LOG_LINES, SecretScanner, encoded_forms

KEY = "planted-key-0d8e4f6a2b9c7e13"
PASSWORD = "sasl/pass+word=81b2"  # noqa: S105 - made up for the test


def scanner() -> SecretScanner:
    return SecretScanner({"membercare": [KEY], "kafka": [PASSWORD, ""]})


def test_counts_the_secrets_of_each_owner_and_ignores_empty_values() -> None:
    scan = scanner().scan
    assert scan.secrets == {"membercare": 1, "kafka": 1}
    assert scan.forms > 4


@pytest.mark.parametrize(
    "leak",
    [
        f"GET /api/v1/token?clientApiKey={KEY}&personToImpersonate=x",
        "HTTP Request: GET " + urlencode({"password": PASSWORD}),
        json.dumps({"detail": f"refused {KEY}"}),
        "Authorization: Basic " + base64.b64encode(f"{KEY}:".encode()).decode(),
        "Authorization: Basic " + base64.b64encode(f"u:{KEY}".encode()).decode(),
        "Authorization: Basic " + base64.b64encode(f"us:{KEY}".encode()).decode(),
        "token=" + base64.urlsafe_b64encode(f"xy{PASSWORD}z".encode()).decode(),
    ],
)
def test_finds_a_secret_in_any_form(leak: str) -> None:
    found = scanner()
    found.text("outputs", "here", leak)
    assert len(found.scan.hits) >= 1
    assert found.scan.hits[0].startswith("here: ")


def test_a_clean_text_is_clean() -> None:
    found = scanner()
    found.text("outputs", "here", f"clientApiKey=*** {KEY[:10]} {PASSWORD[:6]}")
    assert (found.scan.places["outputs"], found.scan.hits) == (1, [])


def test_finds_a_secret_logged_into_a_log_file(tmp_path: Path) -> None:
    path = tmp_path / "worker-w1.log"
    handler = logging.FileHandler(path)
    log = logging.getLogger("tests.secret-scanner")
    log.addHandler(handler)
    try:
        log.warning("all is well")
        log.warning("refused: %s", PASSWORD)
    finally:
        log.removeHandler(handler)
        handler.close()
    found = scanner()
    found.log(path)
    assert found.scan.places[LOG_LINES] == 2
    assert found.scan.hits == ["worker-w1.log:2: kafka sasl..."]
    assert "1 found" in found.scan.figures()


def test_refuses_a_secret_too_short_to_prove_anything() -> None:
    with pytest.raises(ValueError, match="too short"):
        SecretScanner({"tidsbanken": ["abc"]})


def test_every_base64_form_is_part_of_an_encoding_of_the_secret() -> None:
    forms = encoded_forms(KEY) - {KEY.encode()}
    texts = [
        base64.b64encode(prefix + KEY.encode() + b"!") for prefix in (b"", b"a", b"ab")
    ]
    standard = {f for f in forms if b"-" not in f and b"_" not in f and b"%" not in f}
    assert all(any(form in text for text in texts) for form in standard)


def test_names_the_line_of_a_hit_and_ignores_a_part_of_a_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / "worker-w2.log"
    path.write_text(f"one\n{KEY[:5]}\n")
    found = scanner()
    found.log(path)
    assert found.scan.hits == []
    path.write_bytes(b"x" + KEY.encode() + b"\r\n")
    found.log(path)
    assert found.scan.hits == ["worker-w2.log:1: membercare plan..."]
