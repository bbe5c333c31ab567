"""Drive a stand-in running in another process through its ``/_admin`` endpoints."""

from __future__ import annotations

from typing import Any, Self

import httpx

from standins.faults import FaultHandle

Record = dict[str, Any]


class RemoteStandIn(FaultHandle):
    """The handle of :class:`standins.base.StandIn`, over HTTP (e.g. for the demo).

    Method names and meanings match the in-process handle; records come back as
    JSON (times are strings, write-log times too).
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=f"{self.url}/_admin", timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._client.request(method, path, **kwargs)
        if response.status_code == 404:
            raise KeyError(response.json().get("detail", path))
        response.raise_for_status()
        return response.json() if response.content else None

    def info(self) -> Record:
        """System, url, resources and credentials."""
        result: Record = self._call("GET", "/info")
        return result

    def credentials(self) -> dict[str, str]:
        """What a client needs to talk to the stand-in."""
        creds: dict[str, str] = self.info()["credentials"]
        return creds

    def seed(self, resource: str, records: list[Record]) -> list[Record]:
        """Store records as if they already existed; returns them as stored."""
        stored: list[Record] = self._call("POST", f"/seed/{resource}", json=records)
        return stored

    def records(self, resource: str) -> list[Record]:
        """Every record of ``resource``."""
        found: list[Record] = self._call("GET", f"/records/{resource}")
        return found

    def get(self, resource: str, id: Any) -> Record:
        """One record; KeyError if there is none."""
        found: Record = self._call("GET", f"/records/{resource}/{id}")
        return found

    def edit(self, resource: str, id: Any, changes: Record) -> Record:
        """A user's edit in the system's UI (not an API write)."""
        edited: Record = self._call("POST", f"/edit/{resource}/{id}", json=changes)
        return edited

    def inject_raw(self, resource: str, raw: Any) -> Any:
        """Store a raw, possibly malformed record as-is; returns its store key."""
        return self._call("POST", f"/raw/{resource}", json=raw)["key"]

    def writes(self, resource: str | None = None) -> list[Record]:
        """The API write log."""
        params = {"resource": resource} if resource else {}
        log: list[Record] = self._call("GET", "/writes", params=params)["writes"]
        return log

    def write_count(self, resource: str | None = None) -> int:
        """How many API writes created or changed data."""
        params = {"resource": resource} if resource else {}
        count: int = self._call("GET", "/writes", params=params)["count"]
        return count

    def reset_counters(self) -> None:
        """Empty the write log."""
        self._call("POST", "/reset")

    def reset(self) -> None:
        """Forget everything: data, write log, faults, tokens."""
        self._call("POST", "/reset", params={"all": "true"})

    @property
    def faults(self) -> Record:
        """The current fault knobs."""
        knobs: Record = self._call("GET", "/faults")
        return knobs

    def set_faults(self, **changes: Any) -> Record:
        """Change fault knobs at runtime."""
        knobs: Record = self._call("PUT", "/faults", json=changes)
        return knobs

    def _fault(self, knob: str, **args: Any) -> None:
        self._call("POST", f"/faults/{knob}", json=args)
