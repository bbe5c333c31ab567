"""The `tether docs` and `tether import` commands: options, output and warnings."""

from __future__ import annotations

import tomllib

import pytest

from connectors.errors import ConfigurationError
from dataflows import load_documents
from dataflows.render import render_document
from ops.cli import EX_CONFIG, main
from ops.cli.docs import generated_time
from schemas.dataflow import DataflowDocument, RowOrigin

from .conftest import FIXTURES


def test_docs_writes_one_document_per_definitions_file(tmp_path, capsys):
    assert (
        main(["docs", "--out", str(tmp_path), "--generated", "2024-01-02 03:04:05"])
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crmoffice-membercare.rst",
        "customwebshop-chargebee.rst",
        "membercare-customwebshop.rst",
        "tidsbanken-customwebshop.rst",
        "webcrm-customcrm.rst",
    ]
    assert len(capsys.readouterr().out.splitlines()) == 5
    text = (tmp_path / "webcrm-customcrm.rst").read_text()
    assert "Generated: 2024-01-02 03:04:05\n" in text
    assert '   * - OrganisationName\n     - Name\n     - "string"\n' in text


def test_docs_every_underline_is_as_long_as_its_title(tmp_path):
    assert (
        main(["docs", "--out", str(tmp_path), "--generated", "2024-01-02 03:04:05"])
        == 0
    )
    checked = 0
    for path in tmp_path.iterdir():
        lines = path.read_text().split("\n")
        for above, rule in zip(lines, lines[1:], strict=False):
            if rule and set(rule) <= {"-", "="}:
                assert len(rule) == len(above), (path.name, above)
                checked += 1
    assert checked >= 5 * 3


def test_docs_one_document_with_seed_rows_only(tmp_path, definitions):
    args = ["docs", "--out", str(tmp_path), "--doc", "crmoffice-membercare"]
    assert main([*args, "--seed-rows-only", "--generated", "2024-01-02 03:04:05"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["crmoffice-membercare.rst"]
    text = (tmp_path / "crmoffice-membercare.rst").read_text()
    assert "givenName" not in text
    assert text.count('     - "string"') == 3
    assert text == render_document(
        definitions["crmoffice-membercare"],
        generated="2024-01-02 03:04:05",
        seed_rows_only=True,
    )


def test_docs_unknown_document_lists_the_known_ones(tmp_path, capsys):
    assert main(["docs", "--out", str(tmp_path), "--doc", "nope"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert "no flow definitions named nope; known: crmoffice-membercare," in err


def test_generated_time_option_epoch_and_now():
    assert generated_time("2024-09-10 15:43:43", "0") == "2024-09-10 15:43:43"
    assert generated_time(None, "1725983023") == "2024-09-10 15:43:43"
    assert len(generated_time(None, None)) == len("2024-09-10 15:43:43")
    with pytest.raises(ConfigurationError, match="--generated"):
        generated_time("10.09.2024", None)
    with pytest.raises(ConfigurationError, match="SOURCE_DATE_EPOCH"):
        generated_time(None, "yesterday")


def test_render_refuses_a_bad_generated_time(definitions):
    with pytest.raises(ValueError, match="does not match format"):
        render_document(definitions["webcrm-customcrm"], generated="yesterday")


def test_render_refuses_a_flow_from_another_document(definitions):
    crm = definitions["crmoffice-membercare"]
    mixed = crm.model_copy(update={"flows": definitions["webcrm-customcrm"].flows})
    with pytest.raises(ValueError, match="not within the document"):
        render_document(mixed, generated="2024-01-02 03:04:05")


def test_import_prints_warnings_and_writes_definitions(tmp_path, capsys):
    path = FIXTURES / "valid" / "tidsbanken-webshop-quirks.rst"
    assert main(["import", str(path), "--out", str(tmp_path), "--no-definitions"]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "warning:" in line]
    assert [w.split(": ", 1)[1].split(":")[1] for w in warnings] == ["7", "26", "42"]
    written = tmp_path / "tidsbanken-customwebshop.toml"
    assert captured.out == f"{written}\n"
    text = written.read_text()
    assert text.startswith("# Imported by `tether import` from tidsbanken-webshop")
    assert "#   tidsbanken-kunde-to-customwebshop-customer\n" in text
    document = DataflowDocument.model_validate(tomllib.loads(text))
    assert document.target_display == "Custom Webshop"
    assert document.flows[0].properties[0].origin is RowOrigin.SEED


def test_import_with_origin_tether_and_default_target_modes(tmp_path):
    path = FIXTURES / "valid" / "crmoffice-membercare-handwritten.rst"
    args = ["import", str(path), "--out", str(tmp_path), "--no-definitions"]
    assert main([*args, "--origin", "tether"]) == 0
    (document,) = load_documents(tmp_path)
    contacts, companies = document.flows
    assert {r.origin for r in contacts.properties} == {RowOrigin.TETHER}
    assert contacts.target_mode.value == "entity"
    assert companies.target_mode.value == "value_keyed"
    assert contacts.match_keys == []


def test_import_completes_flows_from_the_definitions(tmp_path, definitions):
    path = FIXTURES / "valid" / "crmoffice-membercare-handwritten.rst"
    assert main(["import", str(path), "--out", str(tmp_path)]) == 0
    (document,) = load_documents(tmp_path)
    ours = {f.name: f for f in definitions["crmoffice-membercare"].flows}
    for flow in document.flows:
        assert flow.match_keys == ours[flow.name].match_keys
        assert flow.target_mode == ours[flow.name].target_mode
    rows = {(r.source, r.target): r.origin for r in document.flows[1].properties}
    # The one row the definitions know keeps its origin ("seed").
    assert rows == {("visitAddress.country", "name"): RowOrigin.SEED}


def test_import_two_documents_of_one_dataflow_is_an_error(tmp_path, capsys):
    path = FIXTURES / "valid" / "crmoffice-membercare-handwritten.rst"
    assert main(["import", str(path), str(path), "--out", str(tmp_path)]) == EX_CONFIG
    assert "both describe Crmoffice to Membercare" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_display_overrides_must_spell_the_system():
    with pytest.raises(ValueError, match="is not a spelling of customwebshop"):
        DataflowDocument(
            source_system="tidsbanken",
            target_system="customwebshop",
            flows=[],
            target_display="Custom Shop",
        )
    with pytest.raises(ValueError, match="unknown system 'shopify'"):
        DataflowDocument(source_system="shopify", target_system="webcrm", flows=[])
