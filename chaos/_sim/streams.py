"""Seeded, named random streams: the only source of randomness in a run.

A stream's seed is derived from the experiment seed and the stream's name with SHA-256, so
it is the same in every process (unlike `hash()`), and adding a stream never shifts
another's draws.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Streams:
    """Named `random.Random` streams derived from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __call__(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = random.Random(derive_seed(self.seed, name))
        return stream


class seeded_global_random:
    """Seed the `random` module for a run, and restore its state afterwards.

    botocore draws its retry jitter from the module-level generator; seeding it from a
    named stream makes SDK backoffs part of the deterministic run.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._saved: object = None

    # The one deliberate use of the global generator: botocore's jitter draws from it.
    def __enter__(self) -> None:
        self._saved = random.getstate()  # noqa: TID251  (saved, to restore after the run)
        random.seed(self.seed)  # noqa: TID251  (botocore's jitter, seeded per run)

    def __exit__(self, *_exc: object) -> None:
        random.setstate(self._saved)  # type: ignore[arg-type]  # noqa: TID251  (restored)
