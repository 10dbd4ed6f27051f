"""The aggregator over TLS (--ssl-certfile/--ssl-keyfile) with a self-signed certificate."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bmad.errors import BmadError
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import create_federation, running_aggregator


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_tls_aggregator_is_reached_with_its_certificate_only(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    store = open_participant_store(tmp_path / "p" / "bmad.sqlite3")
    identity = load_or_create_identity(store, tmp_path / "p" / "identity.json")
    with running_aggregator(
        tmp_path / "aggregator", ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    ) as aggregator:
        assert aggregator.url.startswith("https://")
        with AggregatorClient(aggregator.url, identity, verify=str(cert)) as client:
            created = create_federation(
                store, client, ["a", "b", "c"], "high", organisation="tls-org"
            )
            assert client.status(created["federation"])["you"]["role"] == "admin"
        with (
            AggregatorClient(aggregator.url, identity) as untrusting,
            pytest.raises(BmadError, match="cannot reach"),
        ):
            untrusting.status(created["federation"])
