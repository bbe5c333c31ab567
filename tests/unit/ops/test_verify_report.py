"""Building the verify report: counts, verdict, the text tables and the JSON."""

from __future__ import annotations

import io
import json

from ops.cli.verify import BarProgress, StderrProgress, progress_for
from ops.verify import (
    Finding,
    FlowCheck,
    Kind,
    VerifyResult,
    render_json,
    render_text,
    summary,
)

ORGS = "webcrm-organisations-to-customcrm-customer"
PERSONS = "webcrm-persons-to-customcrm-contact"

DIFF = Finding(
    Kind.DIFFERENCE,
    ORGS,
    "1001",
    "C-1",
    property="OrganisationCity->City",
    source_value="Oslo",
    target_value="Hammerfest",
)
AMBIGUOUS = Finding(
    Kind.AMBIGUOUS, PERSONS, "5002", detail="2 candidates", candidates=("K-1", "K-2")
)
GONE = Finding(Kind.TARGET_MISSING, PERSONS, "5003", "K-3", detail="target gone")


def result(*findings_by_flow: tuple[str, int, list[Finding]]) -> VerifyResult:
    return VerifyResult(
        app_id="demo",
        flows=[
            FlowCheck(flow=name, links=n, sources=n, targets=n, findings=list(found))
            for name, n, found in findings_by_flow
        ],
    )


def test_a_clean_result_is_ok_with_zero_counts():
    clean = result((ORGS, 8, []), (PERSONS, 20, []))
    assert clean.ok
    assert clean.counts() == {
        "flows": 2,
        "links": 28,
        "differences": 0,
        "unlinked": 0,
        "lookups": 0,
        "vanished": 0,
        "invalid": 0,
    }
    assert summary(clean) == (
        "OK: 2 flows, 28 links checked; 0 property differences, 0 sources without"
        " a link, 0 unmatched or ambiguous, 0 vanished, 0 invalid"
    )


def test_findings_are_counted_per_category():
    mixed = result((ORGS, 8, [DIFF]), (PERSONS, 20, [AMBIGUOUS, GONE]))
    assert not mixed.ok
    counts = mixed.counts()
    assert (counts["differences"], counts["lookups"], counts["vanished"]) == (1, 1, 1)
    assert counts["unlinked"] == counts["invalid"] == 0
    assert summary(mixed).startswith(
        "DIFFERS: 2 flows, 28 links checked; 1 property difference, 0 sources"
    )
    one = result((ORGS, 1, []))
    assert summary(one).startswith("OK: 1 flow, 1 link checked;")


def test_text_report_has_one_table_per_section_with_json_values():
    text = render_text(result((ORGS, 8, [DIFF]), (PERSONS, 20, [AMBIGUOUS])))
    lines = text.splitlines()
    assert f"{ORGS}: 8 links, 8 sources, 8 targets, 1 finding" in lines
    assert "Property differences (1)" in lines
    header = lines[lines.index("Property differences (1)") + 1]
    assert header.split() == [
        "FLOW", "SOURCE", "ID", "TARGET", "ID", "PROPERTY", "SOURCE", "VALUE",
        "TARGET", "VALUE", "DETAIL",
    ]  # fmt: skip
    row = lines[lines.index("Property differences (1)") + 2]
    assert row.split() == [ORGS, "1001", "C-1", "OrganisationCity->City",
                           '"Oslo"', '"Hammerfest"']  # fmt: skip
    assert "Lookups that found no match or several (1)" in lines
    assert "(candidates: K-1, K-2)" in text
    assert "Links whose source or target vanished" not in text
    assert lines[-1].startswith("DIFFERS:")


def test_long_cells_are_clipped():
    long = Finding(
        Kind.DIFFERENCE, ORGS, "1", "C-1", property="p", source_value="x" * 200
    )
    row = render_text(result((ORGS, 1, [long])))
    assert "x" * 200 not in row
    assert '"' + "x" * 38 + "…" in row


def test_json_report_lists_every_finding_with_its_category():
    document = json.loads(render_json(result((ORGS, 8, [DIFF]), (PERSONS, 2, [GONE]))))
    assert document["ok"] is False
    assert document["app_id"] == "demo"
    assert document["summary"]["differences"] == 1
    assert document["flows"][1] == {
        "flow": PERSONS, "links": 2, "sources": 2, "targets": 2, "findings": 1,
    }  # fmt: skip
    first = document["findings"][0]
    assert first["kind"] == "difference"
    assert first["category"] == "differences"
    assert (first["source_value"], first["target_value"]) == ("Oslo", "Hammerfest")
    assert document["findings"][1]["kind"] == "target-missing"


def test_progress_shows_milestones_and_throttles_running_counts():
    out = io.StringIO()
    progress = StderrProgress(out, interval=3600)
    progress("webcrm Persons: 100 read", milestone=False)
    progress("webcrm Persons: 200 read", milestone=False)
    progress("webcrm Persons: 250 records")
    assert out.getvalue().splitlines() == [
        "verify: webcrm Persons: 100 read",
        "verify: webcrm Persons: 250 records",
    ]


def test_plain_progress_counts_steps_and_always_shows_a_finished_phase():
    out = io.StringIO()
    progress = StderrProgress(out, interval=3600)
    progress("checking flows", milestone=False, step=(0, 15))
    progress("checking flows", milestone=False, step=(3, 15))
    progress("checking flows", milestone=False, step=(15, 15))
    assert out.getvalue().splitlines() == [
        "verify: checking flows 0/15",
        "verify: checking flows 15/15",
    ]


def test_a_terminal_gets_a_bar_and_a_pipe_plain_lines():
    from rich.console import Console

    with progress_for(io.StringIO()) as plain:
        assert isinstance(plain, StderrProgress)
    screen = io.StringIO()
    with BarProgress(Console(file=screen, force_terminal=True, width=80)) as bar:
        bar("reading links", milestone=False, step=(0, 2))
        bar("webcrm Persons: 10 read", milestone=False)
        bar("persons: 12 links", milestone=True)
        bar("reading links", milestone=False, step=(2, 2))
    shown = screen.getvalue()
    assert "verify: persons: 12 links" in shown
    assert "reading links" in shown
    assert "2/2" in shown
