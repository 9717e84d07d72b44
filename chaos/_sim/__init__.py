"""Virtual time and seeded randomness. Knows nothing about AWS.

The names below load on first use, so importing one light module (`chaos._sim.bucket`, which
the DynamoDB model and the built-in fault types need at collection) pulls in neither SimPy
nor freezegun nor greenlet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaos._sim.clock import EPOCH, VirtualClock, wall_clock
    from chaos._sim.fibers import FiberPool, Killed, current_fiber, drive, virtual_sleep
    from chaos._sim.streams import Streams, derive_seed, seeded_global_random

__all__ = [
    "EPOCH",
    "FiberPool",
    "Killed",
    "Streams",
    "VirtualClock",
    "current_fiber",
    "derive_seed",
    "drive",
    "seeded_global_random",
    "virtual_sleep",
    "wall_clock",
]

_HOMES = {
    "EPOCH": "clock",
    "VirtualClock": "clock",
    "wall_clock": "clock",
    "FiberPool": "fibers",
    "Killed": "fibers",
    "current_fiber": "fibers",
    "drive": "fibers",
    "virtual_sleep": "fibers",
    "Streams": "streams",
    "derive_seed": "streams",
    "seeded_global_random": "streams",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chaos._sim' has no attribute {name!r}")
    return getattr(importlib.import_module(f"chaos._sim.{home}"), name)
