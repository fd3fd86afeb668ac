"""Throwaway TLS certificates for latch's mail tests, made fresh on every run.

Writes to DIR:
  ca.pem                        a private certificate authority (what mail.smtp.ca_file trusts)
  server.pem, server.key        a server certificate for localhost and 127.0.0.1 issued by it
  self-signed.pem, self-signed.key
                                a self-signed server certificate for the same names

Usage: python3 certs.py DIR
"""

import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(subject, key, issuer, issuer_key, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def write(directory, stem, cert, key=None):
    with open(os.path.join(directory, stem + ".pem"), "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        with open(os.path.join(directory, stem + ".key"), "wb") as out:
            out.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("latch test CA")
    write(directory, "ca", certificate(ca_name, ca_key, ca_name, ca_key, ca=True))

    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate(name("localhost"), server_key, ca_name, ca_key, ca=False)
    write(directory, "server", server, server_key)

    own_key = ec.generate_private_key(ec.SECP256R1())
    own_name = name("localhost")
    write(directory, "self-signed", certificate(own_name, own_key, own_name, own_key, ca=False),
          own_key)


if __name__ == "__main__":
    main()
