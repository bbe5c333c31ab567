"""The packaged flow definitions: all five seed dataflows, 15 flows, sane mappings."""

from __future__ import annotations

from dataflows import DEFINITIONS_DIR, flows_by_name, load_documents
from dataflows.format import document_name, flow_name
from schemas.catalog import SYSTEMS
from schemas.dataflow import DataType, RowOrigin, TargetMode
from schemas.paths import is_valid_path

# The flows each seed document lists, in order, and the rows it lists.
SeedFlow = tuple[str, str, list[tuple[str, str, DataType]]]
SEED_FLOWS: dict[str, list[SeedFlow]] = {
    "membercare-customwebshop": [
        ("Companies", "Customer", []),
        ("Invoices", "Order", []),
        ("Organizations", "Customer", []),
        ("Products", "Product", []),
    ],
    "crmoffice-membercare": [
        ("Contacts", "Persons", []),
        ("Activities", "Countries", [("address.country", "name", DataType.STRING)]),
        (
            "Companies",
            "Countries",
            [
                ("postAddress.country", "name", DataType.STRING),
                ("visitAddress.country", "name", DataType.STRING),
            ],
        ),
    ],
    "tidsbanken-customwebshop": [
        ("Avdeling", "Customer", []),
        ("Kunde", "Customer", []),
    ],
    "customwebshop-chargebee": [
        ("Customer", "Business_entity", []),
        ("Order", "Order", []),
        ("Product", "Item", []),
    ],
    "webcrm-customcrm": [
        ("Organisations", "Customer", []),
        ("Persons", "Contact", []),
        ("Products", "Product", []),
    ],
}


def test_five_documents_fifteen_flows(definitions):
    assert sorted(definitions) == sorted(SEED_FLOWS)
    assert len(flows_by_name(load_documents())) == 15
    for name, document in definitions.items():
        shown = [(f.source.type, f.target.type) for f in document.flows]
        assert shown == [(s, t) for s, t, _ in SEED_FLOWS[name]], name
        assert (DEFINITIONS_DIR / f"{name}.toml").is_file()


def test_seed_rows_are_there_exactly(definitions):
    for name, expected in SEED_FLOWS.items():
        for flow, (_, _, rows) in zip(definitions[name].flows, expected, strict=True):
            seed = [
                (r.source, r.target, r.data_type)
                for r in flow.properties
                if r.origin is RowOrigin.SEED
            ]
            assert seed == rows, flow.name


def test_empty_seed_tables_get_a_full_mapping_of_their_own(definitions):
    for name, expected in SEED_FLOWS.items():
        for flow, (_, _, rows) in zip(definitions[name].flows, expected, strict=True):
            if not rows:
                # A Chargebee business entity has a name and nothing else to map.
                least = 1 if flow.target.type == "Business_entity" else 2
                assert len(flow.properties) >= least, flow.name
                assert {r.origin for r in flow.properties} == {RowOrigin.TETHER}


def test_names_systems_and_paths_follow_the_conventions(definitions):
    for name, document in definitions.items():
        assert name == document_name(document.source_system, document.target_system)
        for flow in document.flows:
            assert flow.name == flow_name(flow.source, flow.target)
            assert flow.source.system == document.source_system
            assert flow.target.system == document.target_system
            for row in flow.properties:
                assert is_valid_path(row.source), (flow.name, row.source)
                assert is_valid_path(row.target), (flow.name, row.target)
            for key in flow.match_keys:
                assert is_valid_path(key.source), (flow.name, key.source)
                assert is_valid_path(key.target), (flow.name, key.target)
                assert key.normalize in {"text", "alnum", "email", "country"}


def test_every_flow_has_a_natural_key_that_it_also_writes(definitions):
    # A key the flow does not write could never find what the flow created, so a
    # lost link table would mean mass re-creation (DESIGN.md rule 3).
    for document in definitions.values():
        for flow in document.flows:
            assert flow.match_keys, flow.name
            written = {r.target for r in flow.properties}
            assert any(k.target in written for k in flow.match_keys), flow.name


def test_target_modes_follow_the_real_apis():
    modes = {f.name: f.target_mode for f in flows_by_name(load_documents()).values()}
    assert modes["crmoffice-activities-to-membercare-countries"] is (
        TargetMode.VALUE_KEYED
    )
    assert modes["crmoffice-companies-to-membercare-countries"] is (
        TargetMode.VALUE_KEYED
    )
    assert modes["customwebshop-customer-to-chargebee-business-entity"] is (
        TargetMode.LOOKUP_ONLY
    )
    assert modes["customwebshop-order-to-chargebee-order"] is TargetMode.LOOKUP_ONLY
    others = {n for n, m in modes.items() if m is TargetMode.ENTITY}
    assert len(others) == 11


def test_value_keyed_flows_look_up_each_seed_value_as_a_country(definitions):
    for flow in definitions["crmoffice-membercare"].flows:
        if flow.target_mode is not TargetMode.VALUE_KEYED:
            continue
        keys = [(k.source, k.target, k.normalize) for k in flow.match_keys]
        assert keys == [(r.source, r.target, "country") for r in flow.properties]


def test_references_name_existing_flows_of_the_right_target():
    flows = flows_by_name(load_documents())
    seen = 0
    for flow in flows.values():
        for row in flow.properties:
            if row.references:
                seen += 1
                assert flows[row.references].target.system == flow.target.system
    assert seen >= 2


def test_each_file_opens_with_a_comment_on_its_rows():
    for path in sorted(DEFINITIONS_DIR.glob("*.toml")):
        head = path.read_text(encoding="utf-8").splitlines()[:2]
        assert all(line.startswith("#") for line in head), path.name
        assert "seed" in " ".join(head).lower(), path.name


def test_display_override_only_where_the_seed_spells_it_so(definitions):
    overrides = {
        name: (d.source_display, d.target_display) for name, d in definitions.items()
    }
    assert overrides.pop("tidsbanken-customwebshop") == (None, "Custom Webshop")
    assert set(overrides.values()) == {(None, None)}
    assert definitions["tidsbanken-customwebshop"].title == (
        "Tidsbanken to Custom Webshop"
    )
    assert SYSTEMS["customwebshop"].display == "Customwebshop"
