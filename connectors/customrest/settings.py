"""``CustomRestSettings``: where a system on our REST contract is, and its key."""

from __future__ import annotations

from pydantic import SecretStr

from connectors.base.settings import ConnectorSettings


class CustomRestSettings(ConnectorSettings):
    """Settings of a system on our REST contract; ``base_url`` has no default.

    Attributes:
        api_key: Sent as ``Authorization: Bearer <api_key>``.
    """

    api_key: SecretStr
