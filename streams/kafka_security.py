"""How every tether component reaches Kafka: TLS and SASL, from one settings model.

The worker (faust), the admin client that creates topics, the tools (``verify``,
``deadletters``, ``status``, ``explain``), the status page and the dev kit's
readers all take their connection options from ``kafka_options()``, so a
deployment on a secured cluster sets ``TETHER_KAFKA_*`` once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path
from typing import Any, Literal, Self

from aiokafka.helpers import create_ssl_context
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.settings import load_settings
from connectors.errors import ConfigurationError

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSecurity(BaseSettings):
    """TLS and SASL towards the brokers (env prefix ``TETHER_KAFKA_``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_KAFKA_", frozen=True)

    security_protocol: Protocol = Field(
        "PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
    )
    ssl_cafile: Path | None = Field(
        None, description="CA certificates (PEM) to trust; the system's when unset"
    )
    ssl_certfile: Path | None = Field(
        None, description="client certificate (PEM), for brokers that ask for one"
    )
    ssl_keyfile: Path | None = Field(None, description="the client certificate's key")
    ssl_key_password: SecretStr | None = Field(
        None, description="password of an encrypted client key"
    )
    sasl_mechanism: Mechanism = Field(
        "PLAIN", description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
    )
    sasl_username: str | None = Field(None, description="SASL user name")
    sasl_password: SecretStr | None = Field(None, description="SASL password")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.sasl and (not self.sasl_username or self.sasl_password is None):
            msg = (
                f"{self.security_protocol} needs TETHER_KAFKA_SASL_USERNAME and "
                "TETHER_KAFKA_SASL_PASSWORD"
            )
            raise ValueError(msg)
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            msg = "give both TETHER_KAFKA_SSL_CERTFILE and TETHER_KAFKA_SSL_KEYFILE"
            raise ValueError(msg)
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                msg = f"TETHER_KAFKA_{name.upper()}: no file at {path}"
                raise ValueError(msg)
        return self

    @property
    def sasl(self) -> bool:
        """Whether the brokers want a SASL login."""
        return self.security_protocol.startswith("SASL")

    @property
    def tls(self) -> bool:
        """Whether the connection is encrypted."""
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context (hostname checked, certificates verified), if TLS."""
        if not self.tls:
            return None
        password = self.ssl_key_password
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
            certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
            keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
            password=password.get_secret_value() if password else None,
        )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's consumer, producer and admin client."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            assert self.sasl_password is not None  # checked by _complete
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        return options

    def faust_credentials(self) -> Any:
        """The same for faust's ``broker_credentials`` (``None``: plaintext)."""
        import faust

        context = self.ssl_context()
        if self.sasl:
            assert self.sasl_password is not None  # checked by _complete
            return faust.SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password.get_secret_value(),
                ssl_context=context,
                mechanism=self.sasl_mechanism,
            )
        if context is not None:
            return faust.SSLCredentials(context)
        return None


def kafka_security() -> KafkaSecurity:
    """The deployment's Kafka security settings, from the environment."""
    return load_settings(KafkaSecurity)


def kafka_options() -> dict[str, Any]:
    """aiokafka connection options for every client tether makes."""
    return kafka_security().client_options()


async def why_unreachable(bootstrap: str, wait_seconds: float = 10.0) -> str:
    """Why no client got through to ``bootstrap``, in words for the operator.

    aiokafka reports a refused login or a failed TLS handshake only in its log
    and then says it could not connect; one direct connection to the first
    broker tells the three apart.
    """
    from aiokafka.conn import create_conn

    security = kafka_security()
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    options = security.client_options()
    options.pop("security_protocol", None)
    try:
        conn = await create_conn(
            host,
            int(port),
            security_protocol=security.security_protocol,
            request_timeout_ms=int(wait_seconds * 1000),
            **options,
        )
    except ssl.SSLError as exc:
        return (
            f"the TLS handshake with Kafka at {bootstrap} failed ({exc.reason}): "
            "check TETHER_KAFKA_SSL_CAFILE and the broker's certificate"
        )
    except Exception as exc:  # noqa: BLE001 - aiokafka raises many kinds; we name it
        name = type(exc).__name__
        if "Sasl" in name or "Authentication" in name or "UnsupportedSasl" in name:
            return (
                f"Kafka at {bootstrap} refused the SASL login of "
                f"TETHER_KAFKA_SASL_USERNAME={security.sasl_username!r} "
                f"({security.sasl_mechanism}): check TETHER_KAFKA_SASL_PASSWORD"
            )
        refusal = _tls_refusal(exc)
        if refusal is None and security.tls:
            refusal = await _tls_alert(host, int(port), security, wait_seconds)
        if refusal is not None:
            return _certificate_refused(bootstrap, security, refusal)
        return (
            f"no Kafka broker answers at {bootstrap} ({name}): start one with "
            "`tether broker start`, or set TETHER_KAFKA_BOOTSTRAP (and "
            "TETHER_KAFKA_SECURITY_PROTOCOL for a secured listener)"
        )
    conn.close()
    return (
        f"Kafka at {bootstrap} answers, but not to tether's clients: see the log "
        "with -v"
    )


def _tls_refusal(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind ``exc``, if any. Under TLS 1.3 a broker checks the
    client's certificate after the handshake, so its refusal reaches us as a
    closed connection caused by the broker's alert."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain, not a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


async def _tls_alert(
    host: str, port: int, security: KafkaSecurity, wait_seconds: float
) -> ssl.SSLError | None:
    """The TLS alert a broker sends right after the handshake, if it sends one.

    aiokafka's own attempt sends its first request at once; a broker refusing
    the client's certificate then closes a connection holding unread bytes,
    and the reset may overtake its alert. A connection that sends nothing
    receives the alert itself.
    """
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=security.ssl_context(), server_hostname=host
            ),
            wait_seconds,
        )
    except ssl.SSLError as exc:
        return exc
    except (OSError, TimeoutError):
        return None
    try:
        # A broker never speaks first: only an alert comes, and at once.
        await asyncio.wait_for(reader.read(1), min(wait_seconds, 2.0))
    except ssl.SSLError as exc:
        return exc
    except (OSError, TimeoutError):
        return None
    finally:
        writer.close()
        with contextlib.suppress(Exception):  # the broker's alert ended it already
            await writer.wait_closed()
    return None


def _certificate_refused(
    bootstrap: str, security: KafkaSecurity, refusal: ssl.SSLError
) -> str:
    """The broker's TLS alert in words: no client certificate, or not one it trusts."""
    reason = refusal.reason or type(refusal).__name__
    if security.ssl_certfile is None:
        return (
            f"Kafka at {bootstrap} wants a client certificate (mutual TLS) and "
            f"tether sent none ({reason}): set TETHER_KAFKA_SSL_CERTFILE and "
            "TETHER_KAFKA_SSL_KEYFILE"
        )
    return (
        f"Kafka at {bootstrap} refused tether's client certificate ({reason}): "
        "check TETHER_KAFKA_SSL_CERTFILE, and that the broker trusts its CA"
    )


async def unreachable(bootstrap: str) -> ConfigurationError:
    """The error to raise when no client of ours got through to ``bootstrap``."""
    return ConfigurationError(await why_unreachable(bootstrap))
