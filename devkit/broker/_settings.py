"""Settings of the local Kafka broker (env prefix ``TETHER_BROKER_``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The broker only ever listens on loopback: it is for development and tests.
HOST = "127.0.0.1"

Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
_UNSAFE_IN_SCRAM = re.compile(r'[,\[\]="\s]')


def _plain_only() -> list[Mechanism]:
    return ["PLAIN"]


class BrokerSettings(BaseSettings):
    """Where the broker lives, which ports it takes and how the JVM is sized.

    Relative paths are taken from the current directory, so ``tether broker start``
    run in the repository uses ``./.kafka``.
    """

    model_config = SettingsConfigDict(
        env_prefix="TETHER_BROKER_", frozen=True, extra="ignore"
    )

    home: Path = Field(
        default=Path(".kafka"), description="data, logs, pid file and config"
    )
    libs: Path | None = Field(
        default=None, description="jar cache shared between brokers; default home/libs"
    )
    port: int = Field(default=19092, ge=1, le=65535)
    controller_port: int = Field(default=19093, ge=1, le=65535)
    heap: str = Field(default="512m", pattern=r"^[1-9][0-9]*[kKmMgG]?$")
    java: str = Field(default="java", description="java executable (Java 17+)")
    mvn: str = Field(default="mvn", description="maven executable, for the download")
    sasl_ssl_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="a second listener with SASL_SSL (sasl_mechanisms), for testing "
        "secured clients; needs sasl_ssl_keystore and sasl_users",
    )
    sasl_ssl_keystore: Path | None = Field(
        default=None, description="the listener's key and certificate chain (PEM)"
    )
    sasl_users: dict[str, SecretStr] = Field(
        default_factory=dict, description="SASL user name -> password"
    )
    sasl_mechanisms: list[Mechanism] = Field(
        default_factory=_plain_only,
        min_length=1,
        description="what the SASL_SSL listener accepts; every user may log in "
        "with each (SCRAM credentials are written when the storage is formatted)",
    )
    ssl_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="a listener with SSL that requires a client certificate "
        "(mutual TLS); needs ssl_keystore and ssl_truststore",
    )
    ssl_keystore: Path | None = Field(
        default=None, description="the SSL listener's key and certificate chain (PEM)"
    )
    ssl_truststore: Path | None = Field(
        default=None, description="CA certificates (PEM) that sign client certificates"
    )
    authorizer: bool = Field(
        default=False,
        description="enforce ACLs (KRaft's StandardAuthorizer) on the SASL_SSL "
        "listener; the plaintext listeners stay open to the broker itself",
    )
    super_users: list[str] = Field(
        default_factory=list,
        description="SASL users that bypass the ACLs (e.g. an admin who grants them)",
    )
    start_timeout: float = Field(default=90.0, gt=0)
    stop_timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.port == self.controller_port:
            msg = f"broker port and controller port must differ (both {self.port})"
            raise ValueError(msg)
        if self.sasl_ssl_port is not None and (
            self.sasl_ssl_keystore is None or not self.sasl_users
        ):
            msg = "a SASL_SSL listener needs a keystore and at least one user"
            raise ValueError(msg)
        if self.ssl_port is not None and (
            self.ssl_keystore is None or self.ssl_truststore is None
        ):
            msg = "an SSL listener needs a keystore and a truststore"
            raise ValueError(msg)
        scram = [m for m in self.sasl_mechanisms if m.startswith("SCRAM-")]
        for name, password in self.sasl_users.items() if scram else ():
            if _UNSAFE_IN_SCRAM.search(name + password.get_secret_value()):
                msg = (
                    f"SASL user {name!r}: SCRAM names and passwords (given to the "
                    'storage tool as name=...,password=...) may not hold , [ ] = " '
                    "or spaces"
                )
                raise ValueError(msg)
        if self.authorizer and self.sasl_ssl_port is None:
            msg = "the authorizer needs the SASL_SSL listener (sasl_ssl_port)"
            raise ValueError(msg)
        return self

    @property
    def bootstrap(self) -> str:
        """``host:port`` clients connect to."""
        return f"{HOST}:{self.port}"

    @property
    def home_dir(self) -> Path:
        """The home folder as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def libs_dir(self) -> Path:
        """The jar folder as an absolute path."""
        libs = self.libs if self.libs is not None else self.home / "libs"
        return libs.expanduser().resolve()
