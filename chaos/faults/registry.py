"""The fault type registry. Built-ins register in `chaos.faults.builtin`."""

from __future__ import annotations

from chaos.faults.base import Fault
from chaos.registry import Registry

FAULTS: Registry[Fault] = Registry("fault type", "chaos_arena.faults")


def fault_type(cls: type[Fault]) -> type[Fault]:
    """Class decorator: register one instance of a fault type under its `name`."""
    FAULTS.register(cls.name, cls())
    return cls


def fault_types() -> Registry[Fault]:
    """The registry with the built-ins loaded."""
    import chaos.faults.builtin  # noqa: F401  (registers the built-ins)

    return FAULTS


__all__ = ["FAULTS", "fault_type", "fault_types"]
