"""Options of the whole test suite (an initial conftest, so ``pytest --soak`` works
from the repository root as well as for one folder)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--soak``: the chaos suite's long profile, for manual runs."""
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run tests/integration/chaos with its soak profile (more data, "
        "edits and crashes; takes much longer)",
    )
