"""API keys: shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_PREFIX = "jpk_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    plaintext: str  # shown to the operator once, never stored or logged
    key_id: str  # the public part, to name the key when revoking it
    digest: str


def hash_key(plaintext: str) -> str:
    # The secret part has 256 bits of entropy, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_key() -> IssuedKey:
    key_id = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(plaintext=plaintext, key_id=key_id, digest=hash_key(plaintext))
