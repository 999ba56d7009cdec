"""Salesforce test helpers: the sandbox host the emulator tests use and a connected app's key pair.

The test clock is ``sandbox.clock.MovableClock``, the ``responses`` mount ``sandbox.mount`` and the
reference org ``sandbox.seeds.salesforce.seed_reference_org``.
"""

from __future__ import annotations

BASE_URL = "https://sf.sandbox.test"


def rsa_key_pair() -> tuple[str, str]:
    """A fresh (private PKCS#8 PEM, public PEM) pair: a connected app's certificate for JWT bearer tests."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
