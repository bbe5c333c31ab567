"""`tether acls`: the topics, groups and ACLs of a deployment; the README copy."""

from __future__ import annotations

import shlex
from pathlib import Path

import orjson

from dataflows import flows_by_name, load_documents
from ops.acls import SUBSCRIBER, WORKER, layout
from ops.acls.render import README_BEGIN, README_END, demo_layout, readme_block
from ops.cli import main

README = Path(__file__).resolve().parents[3] / "README.md"
WEBCRM = [
    f for f in flows_by_name(load_documents()).values() if f.source.system == "webcrm"
]


def test_the_readme_lists_what_the_function_returns_for_the_demo_flows():
    text = README.read_text("utf-8")
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    assert text[start:end] + "\n" == readme_block(demo_layout()), (
        "README.md is out of date: paste `python -m ops.acls.render` over its block"
    )


def test_every_topic_of_one_document_is_listed_once_with_its_naming():
    found = layout("prod", WEBCRM)
    names = [t.name for t in found.topics]
    assert len(names) == len(set(names))
    assert "prod.webcrm.Persons" in names
    assert "prod.customcrm.Contact" in names
    assert "prod.flow.webcrm-persons-to-customcrm-contact.commands" in names
    assert "prod-webcrm-persons-to-customcrm-contact-links-changelog" in names
    assert "prod-__assignor-__leader" in names
    assert "prod.grants" not in names  # no system rotates its tokens
    assert "prod.grants" in [t.name for t in layout("prod", WEBCRM, grants=True).topics]
    # 7 of the deployment, the leader, 4 shared tables, 6 entity types, 7 per flow.
    assert len(names) == 7 + 1 + 4 + 6 + 7 * 3


def test_the_worker_only_reads_commands_and_the_subscriber_no_private_topic():
    found = layout("prod", WEBCRM, grants=True)
    worker = {a.name: a.operations for a in found.acls(WORKER)}
    subscriber = {a.name: a.operations for a in found.acls(SUBSCRIBER)}
    assert worker["prod.flow.webcrm-persons-to-customcrm-contact.commands"] == (
        "Read",
        "Create",
    )
    assert all(
        "Write" in ops
        for name, ops in worker.items()
        if not name.endswith((".commands", "__leader")) and name != "prod"
    )
    assert not [n for n in subscriber if "grants" in n or "flow" in n]
    assert not [n for n in subscriber if n.endswith("changelog") and "control" not in n]
    assert all(ops in (("Read",), ("Describe",)) for ops in subscriber.values())
    assert subscriber["prod"] == ("Describe",)  # the workers' group: its lag only


def test_by_prefix_the_subscriber_gets_each_system_s_changes_only():
    found = layout("prod", WEBCRM, grants=True)
    prefixed = [a for a in found.acls(SUBSCRIBER, prefixed=True) if a.prefixed]
    assert {a.name for a in prefixed if a.resource == "topic"} == {
        "prod.customcrm.",
        "prod.webcrm.",
    }
    worker = found.acls(WORKER, prefixed=True)
    assert {(a.resource, a.name, a.prefixed) for a in worker} == {
        ("topic", "prod.", True),
        ("topic", "prod-", True),
        ("group", "prod", False),
    }


def _acls(monkeypatch, capsys, *argv):
    monkeypatch.setenv("TETHER_FLOWS", "webcrm-customcrm")
    monkeypatch.setenv("TETHER_KAFKA_BOOTSTRAP", "kafka1:9092")
    for key in ("WEBCRM_API_TOKEN", "CRMOFFICE_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    code = main(["acls", "--app-id", "prod", *argv])
    return code, capsys.readouterr().out


def test_kafka_acls_lines_name_the_principals_and_every_topic(monkeypatch, capsys):
    code, out = _acls(
        monkeypatch,
        capsys,
        "--format",
        "kafka-acls",
        "--principal",
        "User:w",
        "--subscriber-principal",
        "User:r",
    )
    assert code == 0
    lines = [shlex.split(line) for line in out.splitlines() if not line.startswith("#")]
    assert all(
        words[:3] == ["kafka-acls.sh", "--bootstrap-server", "kafka1:9092"]
        and "--add" in words
        for words in lines
    )
    principals = {words[words.index("--allow-principal") + 1] for words in lines}
    assert principals == {"User:w", "User:r"}
    topics = {
        words[words.index("--topic") + 1] for words in lines if "--topic" in words
    }
    assert topics == {t.name for t in layout("prod", WEBCRM).topics}


def test_the_prefixed_lines_say_so(monkeypatch, capsys):
    code, out = _acls(monkeypatch, capsys, "--format", "kafka-acls", "--prefixed")
    assert code == 0
    assert "--topic prod. --resource-pattern-type prefixed" in out
    assert "--group prod.subscriber. --resource-pattern-type prefixed" in out


def test_json_and_table(monkeypatch, capsys):
    code, out = _acls(monkeypatch, capsys, "--json")
    assert code == 0
    document = orjson.loads(out)
    assert document["app_id"] == "prod"
    assert document["acls"][WORKER]["principal"] == "User:worker"
    assert {g["name"] for g in document["groups"]} == {"prod", "prod.subscriber."}
    code, out = _acls(monkeypatch, capsys)
    assert code == 0
    assert "prod.webcrm.Persons" in out
    assert "ACLs of the subscriber (User:reader), by prefix:" in out


def test_an_unknown_flow_is_a_configuration_error(monkeypatch, capsys):
    monkeypatch.setenv("TETHER_FLOWS", "no-such-flow")
    assert main(["acls"]) == 78
    assert "unknown flow or document 'no-such-flow'" in capsys.readouterr().err
