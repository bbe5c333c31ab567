"""The protocol data types: capabilities and lookup-only targets."""

from __future__ import annotations

import pytest

from connectors.base.protocols import Capabilities


@pytest.mark.parametrize(
    ("create", "update", "lookup_only"),
    [
        (True, True, False),
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ],
)
def test_lookup_only_means_neither_create_nor_update(
    create: bool, update: bool, lookup_only: bool
) -> None:
    caps = Capabilities(create=create, update=update, delete=True)
    assert caps.lookup_only is lookup_only
