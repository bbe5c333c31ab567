"""A throwaway CA, a broker certificate for 127.0.0.1 and a client certificate."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: The client key is written encrypted, as a careful deployment keeps it.
CLIENT_KEY_PASSWORD = "client-key-password-5d1e"  # noqa: S105 - a test key's own
CLIENT_NAME = "tether test client"


@dataclass(frozen=True)
class TestCerts:
    """``ca``: the CA to trust (PEM); ``keystore``: the broker's key and chain;
    ``client_cert`` / ``client_key``: a client certificate the same CA signed, its
    key encrypted with ``CLIENT_KEY_PASSWORD``."""

    __test__ = False  # a name pytest would otherwise collect where it is imported

    ca: Path
    keystore: Path
    client_cert: Path
    client_key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common: str,
    names: list[x509.GeneralName],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A key and a one-day certificate for ``common``, signed by the CA."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(names), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def make_certs(folder: Path) -> TestCerts:
    """A CA; a certificate it signed for 127.0.0.1 and localhost; a client's."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("tether test CA"))
        .issuer_name(_name("tether test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    cert, key = _issue(ca, ca_key, "127.0.0.1", names)
    client, client_key = _issue(ca, ca_key, CLIENT_NAME, [])
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    folder.mkdir(parents=True, exist_ok=True)
    paths = TestCerts(
        ca=folder / "ca.pem",
        keystore=folder / "broker.pem",
        client_cert=folder / "client.pem",
        client_key=folder / "client-key.pem",
    )
    paths.ca.write_bytes(ca.public_bytes(pem))
    paths.keystore.write_bytes(
        key.private_bytes(pem, pkcs8, serialization.NoEncryption())
        + cert.public_bytes(pem)
        + ca.public_bytes(pem)
    )
    paths.client_cert.write_bytes(client.public_bytes(pem))
    encrypted = serialization.BestAvailableEncryption(CLIENT_KEY_PASSWORD.encode())
    paths.client_key.write_bytes(client_key.private_bytes(pem, pkcs8, encrypted))
    return paths
