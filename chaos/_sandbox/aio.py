"""asyncio inside a handler, in virtual time.

An event loop waits for its next timer in `selector.select(timeout)`, a real, blocking wait:
under a virtual clock `asyncio.sleep(1)` would block a wall second per turn and never see
its second pass. During a run, new event loops (`asyncio.run`, `new_event_loop`) get a
selector whose waits, inside a fiber, are virtual sleeps; ready I/O is still polled for real
(a thread handler code started can wake the loop). The loop's clock is `time.monotonic`,
which already follows virtual time.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Mapping
from typing import Any

from chaos._sandbox.guards import HANDLER_THREADS
from chaos._sim.fibers import current_fiber, virtual_sleep

_THREAD_POLL = 0.01
"""Real seconds between polls while a handler thread may still wake the loop."""


class VirtualSelector(selectors.BaseSelector):
    """A selector whose timed waits, in a fiber, pass in virtual time."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if current_fiber() is None:
            return self._real.select(timeout)
        if timeout is None:
            # Only real I/O can wake the loop now: a thread the handler started. While one
            # runs, wait for it for real (the watchdog stops a wait that never ends);
            # otherwise nothing ever will, and the fiber sleeps to its deadline.
            while any(thread.is_alive() for thread in HANDLER_THREADS):
                ready = self._real.select(_THREAD_POLL)
                if ready:
                    return ready
            virtual_sleep(math.inf)
            return []
        virtual_sleep(timeout)
        return self._real.select(0)


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An event loop on the virtual clock."""

    def __init__(self) -> None:
        super().__init__(VirtualSelector())
        # The loop runs a timer once now > when - resolution. The virtual clock reads
        # epoch-based seconds (~1.8e9), whose floats step by ~2.4e-7 s, so the monotonic
        # clock's 1 ns resolution would never let a timer due exactly now run: the loop
        # would spin with a zero timeout. The virtual clock's own step is 1 us.
        self._clock_resolution = 1e-6


class VirtualTimePolicy(asyncio.DefaultEventLoopPolicy):
    """The run's event loop policy: loops made in handler code wait in virtual time."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return VirtualEventLoop()
