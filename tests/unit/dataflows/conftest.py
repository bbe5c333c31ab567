"""Shared paths and loaders for the dataflow definition and document tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataflows import load_documents
from dataflows.format import document_name
from dataflows.importer import read_document
from schemas.dataflow import DataflowDocument

REPO = Path(__file__).resolve().parents[3]
# CI clones the repo with shared/ beside it; the seeds are read there, never copied.
SEEDS_DIR = REPO.parent / "shared" / "seeds"
FIXTURES = REPO / "tests" / "fixtures" / "documents"


@pytest.fixture(scope="session")
def definitions() -> dict[str, DataflowDocument]:
    """The packaged definitions by document name (``webcrm-customcrm``)."""
    return {
        document_name(d.source_system, d.target_system): d for d in load_documents()
    }


@pytest.fixture(scope="session")
def seed_files() -> dict[str, Path]:
    """The seed documents by document name; missing seeds fail, never skip."""
    files = sorted(p for p in SEEDS_DIR.glob("*") if p.is_file())
    assert len(files) == 5, f"expected the five seed documents in {SEEDS_DIR}"
    named = {}
    for path in files:
        parsed = read_document(path)
        named[document_name(parsed.source_system, parsed.target_system)] = path
    return named
