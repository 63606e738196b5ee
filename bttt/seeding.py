"""The one recipe every derived seed follows: a hash of named parts, stable across runs, machines and versions.

A game's seed in a tournament, a self-play job's seed, an iteration's seed in training: each is
``derive_seed(user_seed, "what", index, ...)``, so results depend only on the seed the user set and on the name
and position of the work, never on worker counts or scheduling order.
"""

from __future__ import annotations

import hashlib

SEED_BITS = 63


def derive_seed(*parts) -> int:
    """A 63-bit seed from the SHA-256 of ``parts`` (their ``str``, separated by a unit separator)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> (64 - SEED_BITS)
