"""docs -> import is lossless, for the packaged definitions and fixture documents."""

from __future__ import annotations

import tomllib

from dataflows import load_documents
from dataflows.importer import index_flows, read_document, to_definitions
from dataflows.parse import parse_document
from dataflows.render import render_document
from dataflows.writer import dump_document
from ops.cli import main
from schemas.dataflow import DataflowDocument, DataType, RowOrigin

from .conftest import FIXTURES

STAMP = "2024-09-10 15:43:43"


def test_render_then_import_gives_the_same_definitions(definitions):
    existing = index_flows(definitions.values())
    for name, document in definitions.items():
        text = render_document(document, generated=STAMP)
        parsed = parse_document(text, path=f"{name}.rst")
        assert parsed.notes == ()
        result = to_definitions(parsed, existing)
        assert result.document == document, name
        assert result.defaulted == ()


def test_seed_rows_only_import_keeps_only_the_seed_rows(definitions):
    existing = index_flows(definitions.values())
    for document in definitions.values():
        text = render_document(document, generated=STAMP, seed_rows_only=True)
        result = to_definitions(parse_document(text), existing)
        for ours, theirs in zip(document.flows, result.document.flows, strict=True):
            seed = [r for r in ours.properties if r.origin is RowOrigin.SEED]
            assert theirs.properties == seed
            assert theirs.match_keys == ours.match_keys


def test_written_toml_reads_back_the_same(definitions):
    for document in definitions.values():
        text = dump_document(document, header="a header\nover two lines")
        assert text.startswith("# a header\n# over two lines\n")
        assert DataflowDocument.model_validate(tomllib.loads(text)) == document


def test_cli_round_trip_through_files(tmp_path, capsys):
    docs, defs = tmp_path / "docs", tmp_path / "defs"
    assert main(["docs", "--out", str(docs), "--generated", STAMP]) == 0
    written = sorted(docs.glob("*.rst"))
    assert len(written) == 5
    assert main(["import", *map(str, written), "--out", str(defs)]) == 0
    assert capsys.readouterr().err == ""
    assert load_documents(defs) == load_documents()
    # And again from the imported definitions: the documents are byte-identical.
    again = tmp_path / "again"
    args = ["docs", "--definitions", str(defs), "--out", str(again)]
    assert main([*args, "--generated", STAMP]) == 0
    for path in written:
        assert (again / path.name).read_bytes() == path.read_bytes()


def test_handwritten_fixture_reads_every_data_type_and_wrapped_sentences():
    parsed = read_document(FIXTURES / "valid" / "crmoffice-membercare-handwritten.rst")
    assert parsed.notes == ()
    assert str(parsed.generated) == "2025-01-02 03:04:05"
    contacts, companies = parsed.flows
    assert [r.data_type for r in contacts.rows] == [
        DataType.STRING,
        DataType.DATE,
        DataType.INTEGER,
        DataType.DATETIME,
        DataType.BOOLEAN,
        DataType.DECIMAL,
    ]
    assert contacts.rows[4].source == "consents.0.granted"
    assert (companies.source.type, companies.target.type) == ("Companies", "Countries")
    assert [(r.source, r.target, r.line) for r in companies.rows] == [
        ("visitAddress.country", "name", 64)
    ]


def test_quirks_fixture_is_repaired_with_a_note_for_each_quirk():
    path = FIXTURES / "valid" / "tidsbanken-webshop-quirks.rst"
    result = to_definitions(read_document(path), {})
    document = result.document
    assert (document.source_display, document.target_display) == (
        None,
        "Custom Webshop",
    )
    assert [(f.source.type, len(f.properties)) for f in document.flows] == [
        ("Kunde", 1),
        ("Avdeling", 0),
    ]
    assert [(n.line, n.message.split(";")[0]) for n in result.notes] == [
        (7, "the target system name is blank"),
        (26, "the source system name is blank"),
        (
            42,
            "section 'Tidsbanken Kunde to Custom Webshop Customer' repeats the one at"
            " line 7",
        ),
    ]
    assert result.notes[0].message.endswith("title: Custom Webshop")


def test_fixture_documents_round_trip_through_their_imported_definitions():
    for path in sorted((FIXTURES / "valid").glob("*.rst")):
        first = to_definitions(read_document(path), {}).document
        text = render_document(first, generated=STAMP)
        again = to_definitions(parse_document(text), index_flows([first]))
        assert again.document == first, path.name
        assert again.notes == ()
        # Rows new to tether take the origin asked for; known rows keep theirs.
        mine = to_definitions(parse_document(text), {}, new_row_origin=RowOrigin.TETHER)
        rows = [r for f in mine.document.flows for r in f.properties]
        assert rows
        assert {r.origin for r in rows} == {RowOrigin.TETHER}
