"""A continuously refilled token bucket, the shape of most AWS rate limits."""

from __future__ import annotations


class TokenBucket:
    """`rate` tokens per second up to `capacity`; starts full unless told otherwise."""

    __slots__ = ("_level", "_updated", "capacity", "rate")

    def __init__(
        self, rate: float, capacity: float, *, level: float | None = None, now: float = 0.0
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._level = capacity if level is None else level
        self._updated = now

    def level(self, now: float) -> float:
        self._refill(now)
        return self._level

    def take(self, now: float, amount: float = 1.0) -> bool:
        """Take `amount` tokens if they are there; False (and take nothing) if not."""
        self._refill(now)
        if self._level + 1e-9 < amount:
            return False
        self._level -= amount
        return True

    def spend(self, now: float, amount: float) -> None:
        """Take `amount` tokens whether they are there or not: the level may go below zero
        (a debt the refill pays back first), for costs known only after admission."""
        self._refill(now)
        self._level -= amount

    def reshape(self, now: float, rate: float, capacity: float) -> None:
        """Change rate and capacity from `now` on, keeping the tokens (capped)."""
        self._refill(now)
        self.rate = rate
        self.capacity = capacity
        self._level = min(self._level, capacity)

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
            self._updated = now
