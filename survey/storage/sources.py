"""A keyed, per-wave hash of where a submission came from, instead of the address itself.

PIPL: an IP address is personal information, and the index needs none of it. What the quality
checks need is "did these answers come from the same place?", which an HMAC answers without the
address: ``HMAC-SHA256(secret, "source" | wave | address)``, cut to 128 bits. The wave code is in
the message, so the same phone gets unrelated hashes in two waves (the key rotates per wave) and
no one can follow a household across waves; without the deployment's secret the hash cannot be
reversed by trying the 2**32 IPv4 addresses.
"""

from __future__ import annotations

import hashlib
import hmac

HASH_CHARS = 32  # 128 bits, hex


def source_hash(*, secret: str, wave_code: str, address: str) -> str:
    """The stored stand-in for ``address`` in ``wave_code`` ("" when the address is unknown)."""
    if not address:
        return ""
    message = f"source|{wave_code}|{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:HASH_CHARS]
