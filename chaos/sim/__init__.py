"""Virtual time and seeded randomness. Knows nothing about AWS."""

from chaos.sim.clock import EPOCH, VirtualClock, wall_clock
from chaos.sim.fibers import FiberPool, Killed, current_fiber, drive, virtual_sleep
from chaos.sim.streams import Streams, derive_seed, seeded_global_random

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
