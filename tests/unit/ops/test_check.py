"""``tether check`` without network: which settings exist, how findings read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    MalformedResponseError,
    RejectedRecordError,
    TransientError,
)
from ops.check import envfile
from ops.check.deployment import check_data_dir, check_settings, unknown_variables
from ops.check.findings import Finding, Outcome, exit_code, render
from ops.check.probes import _problem
from ops.check.settings import (
    PACKAGES,
    known_variables,
    settings_classes,
    variables,
)
from ops.cli import EX_CONFIG, EX_UNAVAILABLE

REPO = Path(__file__).resolve().parents[3]


def test_every_settings_class_loaded_anywhere_is_found():
    found = {cls.__name__ for cls in settings_classes()}
    # Every class the code reads with load_settings(...) or Class.load().
    loaded: set[str] = set()
    for package in (*PACKAGES, "ops"):
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text()
            loaded |= set(re.findall(r"load_settings\(\s*(?:\w+\.)*(\w+)", text))
    loaded.discard("cls")  # load_settings's own recursion in ConnectorSettings.load
    assert loaded, "the scan found no load_settings call"
    assert loaded <= found, f"not found: {sorted(loaded - found)}"
    expected = {
        "StreamSettings", "RecordSettings", "HealthSettings", "BreakerSettings",
        "ParkingSettings", "NoticeSettings", "PollPacing", "MatchIndexSettings",
        "SharingSettings", "BrokerSettings", "WebcrmSettings", "ChargebeeSettings",
        "CustomcrmSettings", "CustomwebshopSettings", "MembercareSettings",
        "CrmofficeSettings", "TidsbankenSettings", "WebcrmWebhookSettings",
    }  # fmt: skip
    assert expected <= found


def test_abstract_bases_without_a_prefix_are_left_out():
    names = {cls.__name__ for cls in settings_classes()}
    assert "ConnectorSettings" not in names
    assert "CustomRestSettings" not in names


def test_variables_carry_names_defaults_and_help():
    from streams.settings import StreamSettings

    by_name = {v.name: v for v in variables(StreamSettings)}
    assert by_name["TETHER_PARTITIONS"].default == "4"
    assert by_name["TETHER_TABLE_PRELOAD"].default == "true"
    assert by_name["TETHER_FLOWS"].help == "comma-separated flow or document names"
    from connectors.webcrm.settings import WebcrmSettings

    token = {v.name: v for v in variables(WebcrmSettings)}["WEBCRM_API_TOKEN"]
    assert token.secret
    assert token.required


def test_env_example_is_generated_from_the_settings_classes():
    text = (REPO / ".env.example").read_text()
    assert text == envfile.render(), (
        ".env.example is out of date: python -m ops.check.envfile > .env.example"
    )


def test_env_example_lists_every_variable_commented_out():
    lines = (REPO / ".env.example").read_text().splitlines()
    listed = {
        line[2:].split("=", 1)[0] for line in lines if re.match(r"# [A-Z_]+=", line)
    }
    assert known_variables() <= listed
    # Nothing is set by copying it: a set {SYSTEM}_* would mark the system used.
    assert not [line for line in lines if line and not line.startswith("#")]


def test_env_is_git_ignored():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


@pytest.mark.parametrize(
    ("variable", "value", "settings"),
    [
        ("TETHER_PARTITIONS", "0", "StreamSettings"),
        ("TETHER_RECORD_MAX_ATTEMPTS", "many", "RecordSettings"),
        ("TETHER_HEALTH_FIRST_RETRY_SECONDS", "-1", "HealthSettings"),
        ("TETHER_BREAKER_CREATE_SHARE", "x", "BreakerSettings"),
    ],
)
def test_a_bad_value_is_named_by_its_variable(monkeypatch, variable, value, settings):
    monkeypatch.setenv(variable, value)
    findings, stream = check_settings(settings_classes())
    wrong = [f for f in findings if f.outcome is Outcome.CONFIG]
    assert [f.subject for f in wrong] == [settings]
    assert variable in wrong[0].detail
    assert value not in wrong[0].detail.replace(variable, "")  # values may be secret
    assert (stream is None) == (settings == "StreamSettings")


def test_an_unknown_variable_is_a_warning_not_a_failure():
    classes = settings_classes()
    environ = {"TETHER_PARTITONS": "8", "WEBCRM_API_TOKN": "x", "HOME": "/root"}
    found = unknown_variables(environ, classes, {"webcrm"})
    assert [(f.subject, f.outcome) for f in found] == [
        ("TETHER_PARTITONS", Outcome.WARNING),
        ("WEBCRM_API_TOKN", Outcome.WARNING),
    ]
    assert exit_code(found) == 0


@pytest.mark.parametrize(
    ("exc", "outcome", "words"),
    [
        (AuthenticationError("webcrm POST /Auth -> 401"), Outcome.CONFIG,
         ["webcrm refused the credentials"]),
        (ConfigurationError("WEBCRM_API_TOKEN: missing"), Outcome.CONFIG,
         ["WEBCRM_API_TOKEN"]),
        (MalformedResponseError("webcrm GET /x: HTML"), Outcome.CONFIG,
         ["WEBCRM_BASE_URL"]),
        (RejectedRecordError("webcrm GET /x -> 404"), Outcome.CONFIG,
         ["WEBCRM_BASE_URL"]),
        (TransientError("webcrm GET /x failed (ConnectError)"), Outcome.UNREACHABLE,
         ["webcrm at http://crm.invalid does not answer"]),
        (TimeoutError(), Outcome.UNREACHABLE, ["no answer in 5 s"]),
        (OSError("boom"), Outcome.UNREACHABLE, ["webcrm at http://crm.invalid"]),
    ],
)  # fmt: skip
def test_a_failed_read_is_put_down_to_settings_or_to_the_system(exc, outcome, words):
    got, detail = _problem("webcrm", "http://crm.invalid", exc, 5.0)
    assert got is outcome
    for word in words:
        assert word in detail


def test_exit_code_config_wins_over_unreachable():
    ok = Finding("settings", "StreamSettings", Outcome.OK)
    down = Finding("broker", "k:9092", Outcome.UNREACHABLE, "no answer")
    wrong = Finding("webcrm", "Persons", Outcome.CONFIG, "refused")
    skipped = Finding("tidsbanken", "settings", Outcome.SKIPPED)
    assert exit_code([ok, skipped]) == 0
    assert exit_code([ok, down]) == EX_UNAVAILABLE == 69
    assert exit_code([ok, down, wrong]) == EX_CONFIG == 78


def test_render_text_and_json():
    findings = [
        Finding("settings", "StreamSettings", Outcome.OK, "TETHER_*"),
        Finding("webcrm", "Persons", Outcome.CONFIG, "webcrm refused the credentials"),
        Finding("tidsbanken", "settings", Outcome.SKIPPED, "not configured"),
    ]
    text = render(findings, as_json=False)
    assert "webcrm      Persons         WRONG" in text
    assert text.endswith(
        "FAILED: 1 of 2 checks"
        " (1 wrong setting or refused credential, 0 not answering)\n"
    )
    document = json.loads(render(findings, as_json=True))
    assert document["ok"] is False
    assert document["exit_code"] == EX_CONFIG
    assert document["findings"][1] == {
        "area": "webcrm",
        "subject": "Persons",
        "outcome": "config",
        "detail": "webcrm refused the credentials",
    }
    assert render(findings[:1], as_json=False).endswith("OK: 1 check passed\n")


def test_the_data_dir_must_be_creatable_and_is_not_created(tmp_path):
    target = tmp_path / "state" / "tether"
    ok = check_data_dir(target)
    assert ok.outcome is Outcome.OK
    assert f"will be created in {tmp_path}" in ok.detail
    assert not (tmp_path / "state").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    wrong = check_data_dir(blocker / "tether")
    assert wrong.outcome is Outcome.CONFIG
    assert "TETHER_DATA_DIR=" in wrong.detail
    assert "is not a directory" in wrong.detail
