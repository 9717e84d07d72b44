"""The fault type registry. Built-ins register in `chaos._faults.builtin`, on first use."""

from __future__ import annotations

from chaos._faults.base import Fault
from chaos._registry import Registry


def _builtins() -> None:
    import chaos._faults.builtin  # noqa: F401  (its decorators register the built-ins)


FAULTS: Registry[Fault] = Registry("fault type", "chaos_arena.faults", builtins=_builtins)


def fault_type(cls: type[Fault]) -> type[Fault]:
    """Class decorator: register one instance of a fault type under its `name`."""
    FAULTS.register(cls.name, cls())
    return cls


def fault_types() -> Registry[Fault]:
    """The fault type registry (the built-ins load on first use)."""
    return FAULTS


__all__ = ["FAULTS", "fault_type", "fault_types"]
