"""Real services for the mail authentication tests: a tiny DNS server (dnslib, UDP on
127.0.0.1) answering from a table, to which the gateway's resolver is pointed through
MAIL_AUTH_DNS_SERVERS, so DKIM, SPF and DMARC run their real lookups; a DKIM key pair and
signing with dkimpy, as a sender's mail server does; a self-signed certificate for the SMTP
listener's STARTTLS."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


def _chunks(value: str) -> list[bytes]:
    data = value.encode()
    return [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]


class TableResolver(BaseResolver):
    """Answers from a table; `a_sequence` gives a name one A answer per lookup (the last
    one repeated), as a rebinding attacker's server does; `queries` logs every question."""

    def __init__(self):
        self.records: dict[tuple[str, str], list] = {}
        self.sequences: dict[str, list[str]] = {}
        self.queries: list[tuple[str, str]] = []

    def clear(self) -> None:
        self.records.clear()
        self.sequences.clear()
        self.queries.clear()

    def a_sequence(self, name: str, addresses: list[str]) -> None:
        self.sequences[name.lower().rstrip(".")] = list(addresses)

    def txt(self, name: str, value: str) -> None:
        self.records.setdefault((name.lower().rstrip("."), "TXT"), []).append(
            TXT(_chunks(value)))

    def a(self, name: str, address: str) -> None:
        self.records.setdefault((name.lower().rstrip("."), "A"), []).append(A(address))

    def resolve(self, request, handler):
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        self.queries.append((qname, QTYPE[request.q.qtype]))
        sequence = self.sequences.get(qname)
        if sequence is not None:
            if QTYPE[request.q.qtype] == "A":
                address = sequence.pop(0) if len(sequence) > 1 else sequence[0]
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=0))
            return reply
        found = self.records.get((qname, QTYPE[request.q.qtype]))
        if found:
            for rdata in found:
                reply.add_answer(RR(request.q.qname, request.q.qtype, rdata=rdata, ttl=60))
        elif not any(name == qname for name, _type in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsTestServer:
    def __init__(self):
        self.zone = TableResolver()
        self.server = DNSServer(self.zone, port=0, address="127.0.0.1",
                                logger=DNSLogger(logf=lambda _line: None))

    def start(self) -> DnsTestServer:
        self.server.start_thread()
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server.server_address[1]}"

    def stop(self) -> None:
        self.server.stop()


@dataclass
class DkimKey:
    selector: str
    domain: str
    private_pem: bytes
    public_b64: str

    @classmethod
    def generate(cls, *, domain: str, selector: str = "s1") -> DkimKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        private_pem = key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption())
        public_der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls(selector, domain, private_pem, base64.b64encode(public_der).decode())

    def publish(self, zone: TableResolver) -> None:
        zone.txt(f"{self.selector}._domainkey.{self.domain}",
                 f"v=DKIM1; k=rsa; p={self.public_b64}")

    def sign(self, raw: bytes) -> bytes:
        """The message with a DKIM-Signature header prepended, as the sender's server
        signs it."""
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        header = dkim.sign(raw, self.selector.encode(), self.domain.encode(), self.private_pem,
                           include_headers=[b"from", b"to", b"subject", b"date",
                                            b"message-id"])
        return header + raw


def self_signed_certificate(directory, *, host: str = "127.0.0.1",
                            name: str = "smtp") -> tuple[str, str]:
    """(certificate file, key file) of a fresh self-signed certificate for `host` (an
    address or a DNS name)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([_san(host)]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def _san(host: str):
    import ipaddress

    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
