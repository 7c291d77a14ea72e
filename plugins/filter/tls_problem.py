# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with a certificate chain and private key, checked on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleFilterError


def _cryptography():
    """cryptography's x509 and serialization, imported when a certificate is
    checked, not when the filter is loaded: Ansible loads every filter file
    of the collection in each task's worker process that uses one of its
    filters, and this import alone took 26 ms there."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise AnsibleFilterError("tls_problem needs the Python 'cryptography' package on the controller")
    return x509, serialization


def _public_bytes(serialization, public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _certificates(x509, pem):
    """The certificates of a PEM text, in order."""
    marker = b"-----BEGIN CERTIFICATE-----"
    blocks = [marker + part for part in pem.split(marker)[1:]]
    return [x509.load_pem_x509_certificate(block) for block in blocks]


def _utc(certificate, name):
    """not_valid_after/before as an aware datetime, on old and new cryptography."""
    value = getattr(certificate, name + "_utc", None)
    if value is None:
        value = getattr(certificate, name).replace(tzinfo=datetime.timezone.utc)
    return value


def tls_problem(certificate, private_key, now=None):
    """An empty string when the chain (leaf first) and key go together and the
    leaf is valid now; else one sentence saying what is wrong. The key itself
    never appears in the answer."""
    x509, serialization = _cryptography()
    cert_pem = (certificate or "").encode()
    key_pem = (private_key or "").encode()
    try:
        chain = _certificates(x509, cert_pem)
    except ValueError as error:
        return "the certificate is not valid PEM (%s)" % error
    if not chain:
        return "the certificate holds no PEM 'BEGIN CERTIFICATE' block"
    if b"PRIVATE KEY-----" in cert_pem:
        return "the certificate text holds a private key; give the key separately"
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        return "the private key is not an unencrypted PEM private key"
    leaf = chain[0]
    if _public_bytes(serialization, leaf.public_key()) != _public_bytes(serialization, key.public_key()):
        return "the private key does not belong to the first certificate (the leaf must come first)"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = _utc(leaf, "not_valid_after")
    if not_after <= now:
        return "the certificate expired on %s" % not_after.strftime("%Y-%m-%d")
    not_before = _utc(leaf, "not_valid_before")
    if not_before > now:
        return "the certificate is not valid before %s" % not_before.strftime("%Y-%m-%d")
    return ""


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"tls_problem": tls_problem}
