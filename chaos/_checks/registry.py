"""The assertion registry. Built-ins register in `chaos._checks.builtin`, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaos._registry import Registry

if TYPE_CHECKING:
    from chaos._checks.base import Assertion


def _builtins() -> None:
    import chaos._checks.builtin  # noqa: F401  (its decorators register the built-ins)


ASSERTIONS: Registry[Assertion] = Registry(
    "assertion", "chaos_arena.assertions", builtins=_builtins
)


def assertion_type(cls: type[Assertion]) -> type[Assertion]:
    """Class decorator: register one instance of an assertion under its `name`."""
    ASSERTIONS.register(cls.name, cls())
    return cls


def assertion_types() -> Registry[Assertion]:
    """The assertion registry (the built-ins load on first use)."""
    return ASSERTIONS
