# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side check of a provided certificate and key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.flaskstack.deploy.plugins.filter.tls_problem import FilterModule

tls_problem = FilterModule().filters()["tls_problem"]
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


def pair(name, days=30, signer=None):
    """{cert, key (PEM texts), private (the key object)} for name, valid from NOW - 1 day."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = signer or (subject, key)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days))
            .sign(issuer_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return dict(cert=cert.public_bytes(serialization.Encoding.PEM).decode(), key=key_pem.decode(), private=key)


def test_a_matching_pair_has_no_problem():
    made = pair("shop.example.com")
    assert tls_problem(made["cert"], made["key"], now=NOW) == ""


def test_a_chain_leaf_first_has_no_problem():
    ca = pair("ca")
    ca_cert = ca["cert"]
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    made = pair("shop.example.com", signer=(ca_name, ca["private"]))
    leaf, key = made["cert"], made["key"]
    assert tls_problem(leaf + ca_cert, key, now=NOW) == ""
    assert "does not belong to the first certificate" in tls_problem(ca_cert + leaf, key, now=NOW)


def test_problems_are_named_and_never_show_the_key():
    made = pair("shop.example.com")
    cert, key = made["cert"], made["key"]
    other_key = pair("other.example.com")["key"]
    old = pair("old.example.com", days=-1)
    expired, expired_key = old["cert"], old["key"]
    cases = [
        (tls_problem(cert, other_key, now=NOW), "does not belong"),
        (tls_problem("not a certificate", key, now=NOW), "no PEM 'BEGIN CERTIFICATE' block"),
        (tls_problem(cert, "not a key", now=NOW), "not an unencrypted PEM private key"),
        (tls_problem(cert + key, key, now=NOW), "holds a private key"),
        (tls_problem(expired, expired_key, now=NOW), "expired on 2026-05-31"),
        (tls_problem(cert, key, now=NOW - datetime.timedelta(days=3)), "not valid before 2026-05-31"),
    ]
    for problem, expected in cases:
        assert expected in problem
        assert "PRIVATE KEY" not in problem


@pytest.mark.parametrize("garbage", ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_a_broken_pem_block_is_named(garbage):
    key = pair("shop.example.com")["key"]
    assert tls_problem(garbage, key, now=NOW).startswith("the certificate is not valid PEM")
