"""Malformed documents: each gives its error with file and line, never a traceback."""

from __future__ import annotations

import pytest

from connectors.errors import DocumentError
from dataflows.importer import read_document
from ops.cli import main

from .conftest import FIXTURES

MALFORMED = FIXTURES / "malformed"

# file -> (line, the start of the message)
CASES = {
    "empty.rst": (1, "the document is empty; expected the document title"),
    "title-without-rules.rst": (1, "expected the document title"),
    "title-wording.rst": (2, "the title must read '<Source> to <Target> Dataflow'"),
    "title-unknown-system.rst": (
        2,
        "unknown system 'Salesforce'; known: Membercare, Customwebshop, Crmoffice,"
        " Tidsbanken, Chargebee, Webcrm, Customcrm",
    ),
    "title-rules-differ.rst": (3, "the title's '=' underline must match its overline"),
    "generated-missing.rst": (5, "expected 'Generated: YYYY-MM-DD HH:MM:SS'"),
    "generated-bad-time.rst": (5, "the generated time '2025-13-40 25:00:00'"),
    "section-title-form.rst": (12, "a flow section's title must read"),
    "section-underline-short.rst": (13, "the section title's underline is too short"),
    "unknown-entity-type.rst": (
        12,
        "unknown type 'Leads' of Crmoffice; known: Companies, Contacts, Activities",
    ),
    "section-other-system.rst": (12, "the section's source system 'Webcrm' is not"),
    "section-unknown-system.rst": (12, "unknown system 'Groupcare'; known: Membercare"),
    "sentence-wrong.rst": (
        14,
        "expected 'Every Crmoffice Contacts will be synchronized with a Membercare"
        " Persons.'",
    ),
    "list-table-missing.rst": (20, "expected '.. list-table::', not '.. table::'"),
    "header-rows-missing.rst": (
        21,
        "the list-table needs the option ':header-rows: 1'",
    ),
    "list-table-option.rst": (22, "unsupported list-table option ':widths: 30 30 40'"),
    "table-without-header.rst": (20, "the list-table has no header row"),
    "row-before-header.rst": (23, "a list-table row must start with '* -'"),
    "header-wrong.rst": (23, "the table's header row must read Crmoffice Contacts"),
    "row-two-cells.rst": (26, "broken list-table: the row has 2 cells"),
    "row-four-cells.rst": (26, "broken list-table: the row has 4 cells"),
    "cell-indent-broken.rst": (27, "broken list-table: expected a row"),
    "cell-continued.rst": (28, "broken list-table: expected a row"),
    "data-type-unknown.rst": (
        26,
        'unknown data type "float"; known: "string", "integer", "decimal", "boolean",'
        ' "datetime", "date"',
    ),
    "data-type-unquoted.rst": (26, "the data type 'string' must be quoted"),
    "path-invalid.rst": (26, "the source path 'given name' is not a dotted"),
    "path-double-dot.rst": (26, "the source path 'address..country' is not a dotted"),
    "row-repeated.rst": (29, "the row givenName -> firstname repeats line 26"),
    "section-conflicting-repeat.rst": (31, "section 'Crmoffice Contacts to Membercare"),
    "text-after-table.rst": (30, "expected a section title underlined with '-'"),
    "no-flow-sections.rst": (11, "the document has no flow sections"),
    "not-utf8.rst": (26, "the document is not UTF-8 text"),
}


def test_every_fixture_has_an_expected_error():
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted(CASES)
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_document_names_line_and_problem(name):
    line, message = CASES[name]
    with pytest.raises(DocumentError) as caught:
        read_document(MALFORMED / name)
    assert (caught.value.line, caught.value.path) == (line, str(MALFORMED / name))
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_command_prints_file_line_message_and_fails(name, tmp_path, capsys):
    line, message = CASES[name]
    path = MALFORMED / name
    assert main(["import", str(path), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_one_bad_document_stops_the_whole_import(tmp_path, capsys):
    good = FIXTURES / "valid" / "crmoffice-membercare-handwritten.rst"
    bad = MALFORMED / "row-two-cells.rst"
    assert main(["import", str(good), str(bad), "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"{bad}:26:")
    assert list(tmp_path.iterdir()) == []


def test_missing_file_is_an_error_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "nowhere.rst"
    assert main(["import", str(path), "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"{path}:1: cannot read the document")
