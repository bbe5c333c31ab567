"""Every topic tether uses, named once.

``{app}.{system}.{Type}`` carries one system's entity changes (compacted: the
latest state of every entity, replayable by any subscriber); per flow,
``{app}.flow.{flow}.links`` carries link notices keyed by target id and
``{app}.flow.{flow}.from-target`` target-side changes re-keyed by source id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicNames:
    """Topic names of one deployment (``app_id`` prefixes them all)."""

    app_id: str

    def entity(self, system: str, entity: str) -> str:
        """Changes of one system's entity type, keyed by entity id."""
        return f"{self.app_id}.{system}.{entity}"

    def links(self, flow: str) -> str:
        """Link notices of a flow, keyed by target id."""
        return f"{self.app_id}.flow.{flow}.links"

    def from_target(self, flow: str) -> str:
        """Target-side changes of a flow, keyed by the linked source id."""
        return f"{self.app_id}.flow.{flow}.from-target"

    def commands(self, flow: str) -> str:
        """A flow's operator commands (``tether unlink``), keyed by source id."""
        return f"{self.app_id}.flow.{flow}.commands"

    @property
    def deadletters(self) -> str:
        """Records tether could not process, keyed ``system/type/id#cause``."""
        return f"{self.app_id}.deadletters"

    @property
    def redriven(self) -> str:
        """Markers closing dead letters (re-driven, or healed), keyed like them."""
        return f"{self.app_id}.deadletters.redriven"

    @property
    def conflicts(self) -> str:
        """Overridden values (DESIGN.md rule 5), keyed by flow and source id."""
        return f"{self.app_id}.conflicts"

    @property
    def reports(self) -> str:
        """Ambiguous or missing matches and removed links, keyed by flow."""
        return f"{self.app_id}.reports"

    @property
    def status(self) -> str:
        """Each system as the workers last found it (ok or failing), keyed by system."""
        return f"{self.app_id}.status"

    @property
    def writes(self) -> str:
        """Every write tether made and why (``tether explain``), keyed
        ``system/type/id``; kept for a time, not compacted."""
        return f"{self.app_id}.writes"

    @property
    def workers(self) -> str:
        """Each worker's snapshot of what it did, keyed by worker (compacted)."""
        return f"{self.app_id}.workers"

    def links_changelog(self, flow: str) -> str:
        """The changelog topic of a flow's link table (faust's naming)."""
        return f"{self.app_id}-{flow}-links-changelog"
